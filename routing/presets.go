package routing

import (
	"encoding/json"
	"strings"

	"github.com/switchboard-gw/switchboard/tenants"
)

// Preset is a ready-made mapping and endpoint setup an admin starts from
// (and then edits). Subscriptions, URL, Auth and Headers are advice for the
// endpoint; Mapping is what GET /api/v1/mapping/presets returns to save.
// Every ATS preset subscribes to interview.evaluation only: evaluation and
// scores fire together, and one note per interview is what an ATS wants.
type Preset struct {
	Name          string            `json:"name"`
	Title         string            `json:"title"`
	Description   string            `json:"description"` // with the assumptions it makes
	Subscriptions []string          `json:"subscriptions"`
	URL           string            `json:"url,omitempty"`
	Method        string            `json:"method,omitempty"` // the endpoint method it expects (empty: POST)
	Auth          string            `json:"auth,omitempty"`
	Headers       map[string]string `json:"headers,omitempty"`
	Mapping       json.RawMessage   `json:"mapping"`
}

// Presets returns the built-in presets, each mapping already validated
// (TestPresetsCompile).
func Presets() []Preset {
	out := make([]Preset, len(presets))
	copy(out, presets)
	return out
}

// FindPreset returns the preset called name.
func FindPreset(name string) (Preset, bool) {
	for _, p := range presets {
		if p.Name == name {
			return p, true
		}
	}
	return Preset{}, false
}

const evaluationOnly = "interview.evaluation"

// noteTemplate is the plain-text note the Greenhouse and Lever presets write.
var noteTemplate = strings.Join([]string{
	"Boooply AI interview: {{data.title}}",
	"Summary: {{data.oneLineSummary}}",
	"Recommendation: {{data.recommendation}} (decision: {{data.recruiterSummary.quickDecision}})",
	"Overall score: {{data.scores.overall}}/100, rating {{data.overallRating}}/5",
	"Strengths: {{data.strengthsAndWeaknesses.strengths[*].point}}",
	"Red flags: {{data.redFlags[*].flag}}",
	"Report: {{correlation.report_url}}",
}, "\n")

func tmplJSON(s string) string { b, _ := json.Marshal(s); return string(b) }

var presets = []Preset{
	{Name: "passthrough", Title: "Passthrough",
		Description:   "Forward Boooply's body byte for byte (what an endpoint without a mapping does).",
		Subscriptions: []string{}, Mapping: json.RawMessage(`{"mode":"passthrough"}`)},
	{Name: "flat-scorecard", Title: "Flat scorecard (any ATS or middleware)",
		Description: "One level, snake_case: candidate, role, recommendation, decision, 1–5 rating, 0–100 scores with score_max, " +
			"summary, strengths/weaknesses/red flags as text. report_url comes from the correlation record's report_url " +
			"(the vendor's own report page); replace that rule with a template if your report links follow a pattern.",
		Subscriptions: []string{evaluationOnly}, Mapping: json.RawMessage(flatScorecard)},
	{Name: "greenhouse-harvest-note", Title: "Greenhouse Harvest v1 (retired): candidate note",
		Description: "RETIRED: Greenhouse switched Harvest v1/v2 off on 2026-08-31, so this preset reaches nothing any more; kept " +
			"for endpoints still configured with it. Harvest v3 takes auth type oauth2 (client credentials, token URL " +
			"https://auth.greenhouse.io/token, extra token parameter sub=<Greenhouse user id>) and a new notes route; no v3 " +
			"preset ships, as its request body is not confirmed from public material. " +
			"POSTs a note to Harvest v1 activity_feed/notes. Assumes correlation candidate_id (the Greenhouse candidate id). " +
			"Set user_id (0 is refused by Greenhouse, so nothing is misattributed) and the endpoint's On-Behalf-Of header to your " +
			"Greenhouse user id; Basic auth with the Harvest token as user name and an empty password.",
		Subscriptions: []string{evaluationOnly}, URL: "https://harvest.greenhouse.io/v1/candidates/{{correlation.candidate_id}}/activity_feed/notes",
		Auth: "basic (Harvest API token, empty password)", Headers: map[string]string{"On-Behalf-Of": "<Greenhouse user id>"},
		Mapping: json.RawMessage(`{"mode":"rules","rules":[
{"target":"user_id","value":0},
{"target":"body","template":` + tmplJSON(noteTemplate) + `},
{"target":"visibility","value":"admin_only"}]}`)},
	{Name: "lever-opportunity-note", Title: "Lever: opportunity note",
		Description: "POSTs a note to /v1/opportunities/{id}/notes. Assumes correlation opportunity_id. score maps STRONG_PASS→4, " +
			"PASS→3, FAIL→2, STRONG_FAIL→1 and is left out for REVIEW. Add ?perform_as=<user id> to the URL to attribute the note; " +
			"Basic auth with the Lever key as user name. A feedback-form variant needs per-tenant template ids.",
		Subscriptions: []string{evaluationOnly}, URL: "https://api.lever.co/v1/opportunities/{{correlation.opportunity_id}}/notes",
		Auth: "basic (Lever API key, empty password)",
		Mapping: json.RawMessage(`{"mode":"rules","rules":[
{"target":"value","template":` + tmplJSON(noteTemplate) + `},
{"target":"secret","value":false},
{"target":"score","from":"data.recommendation","ops":[{"op":"map","args":["STRONG_PASS=4","PASS=3","FAIL=2","STRONG_FAIL=1","*=null"]},"omit_if_empty"]}]}`)},
	{Name: "ashby-completed-assessment", Title: "Ashby: completed assessment",
		Description: "POSTs to assessment.addCompletedToCandidate (fixed URL, candidate id in the body). Assumes correlation " +
			"candidate_id (required: the delivery waits for it). partnerId and assessmentTypeId are constants to replace with " +
			"yours; the display-blob type tokens (Numeric, String, Url) must be checked against Ashby's reference. Basic auth. " +
			"An event without scores.overall (transcript, recording) fails its delivery as a mapping error instead of completing " +
			"an empty assessment.",
		Subscriptions: []string{evaluationOnly}, URL: "https://api.ashbyhq.com/assessment.addCompletedToCandidate",
		Auth: "basic (Ashby API key, empty password)", Mapping: json.RawMessage(ashbyAssessment)},
	{Name: "kombo-assessment-result", Title: "Kombo: assessment order result",
		Description: "PUTs the result of a Kombo assessment order (Kombo fans it out to Workday, SuccessFactors, Greenhouse, Lever, " +
			"Ashby…). Assumes correlation order_id, from the Kombo order webhook the vendor received, and report_url (a public " +
			"link: Greenhouse rejects unreachable ones). Kombo expects PUT: set the endpoint's method to PUT " +
			"(method \"PUT\" in the API, --method PUT in the CLI). Bearer Kombo key plus a static X-Integration-Id header. " +
			"An event without scores.overall (transcript, recording) fails its delivery as a mapping error: a result can be " +
			"written only while the order is OPEN, so an empty one must never complete it.",
		Subscriptions: []string{evaluationOnly}, URL: "https://api.kombo.dev/v1/assessment/orders/{{correlation.order_id}}/result", Method: "PUT",
		Auth: "bearer (Kombo API key)", Headers: map[string]string{"X-Integration-Id": "<integration id>"},
		Mapping: json.RawMessage(komboResult)},
	{Name: "bullhorn-candidate-note", Title: "Bullhorn: candidate note",
		Description: "PUTs a Note to Bullhorn's REST API (entity/Note under the restUrl of the session). Needs auth type bullhorn " +
			"(client id and secret, API user name and password; Switchboard logs in and keeps the BhRestToken) and the endpoint's " +
			"method set to PUT. Assumes correlation candidate_id (the Bullhorn Candidate id, a number; required: the delivery waits " +
			"for it). action and commentingPerson.id are constants to replace: action (\"Boooply AI interview\" here) must be a value of your " +
			"Bullhorn note action picklist, commentingPerson.id (0 here) the id of the CorporateUser the note is from. externalID is the meetingCode. An event without scores.overall (transcript, recording) fails its " +
			"delivery as a mapping error instead of writing an empty note.",
		Subscriptions: []string{evaluationOnly}, URL: tenants.BullhornRestURL + "entity/Note", Method: "PUT",
		Auth: "bullhorn (client id and secret, API user name and password)", Mapping: json.RawMessage(bullhornNote)},
}

// bullhornComments is the readable text of the Bullhorn note: Boooply's
// rating is 1–5 and its scores 0–100, each shown with its scale.
var bullhornComments = strings.Join([]string{
	"Boooply AI interview: {{data.title}}",
	"Recommendation: {{data.recommendation}} (decision: {{data.recruiterSummary.quickDecision}})",
	"Rating: {{data.overallRating}}/5; overall score: {{data.scores.overall}}/100",
	"Summary: {{data.oneLineSummary}}",
	"{{data.summary}}",
	"Strengths: {{data.strengthsAndWeaknesses.strengths[*].point}}",
	"Weaknesses: {{data.strengthsAndWeaknesses.weaknesses[*].point}}",
	"Red flags: {{data.redFlags[*].flag}}",
	"Report: {{correlation.report_url}}",
}, "\n")

// bullhornNote creates a Note on the candidate. The first comments rule
// only makes scores.overall required (the second replaces its value): a
// transcript or recording fails as a mapping error instead of an empty note.
var bullhornNote = `{"mode":"rules","rules":[
{"target":"personReference.id","from":"correlation.candidate_id","required":true,"ops":[{"op":"convert","args":["id"]}]},
{"target":"action","value":"Boooply AI interview"},
{"target":"commentingPerson.id","value":0},
{"target":"comments","from":"data.scores.overall","required":true},
{"target":"comments","template":` + tmplJSON(bullhornComments) + `},
{"target":"externalID","from":"data.meetingCode"}]}`

const flatScorecard = `{"mode":"rules","rules":[
{"target":"event","from":"event"},
{"target":"occurred_at","from":"data.timestamp"},
{"target":"tenant_id","from":"data.sourceId"},
{"target":"interview_id","from":"data.meetingCode"},
{"target":"candidate_name","from":"data.candidateName"},
{"target":"job_role","from":"data.jobRole"},
{"target":"title","from":"data.title"},
{"target":"recommendation","from":"data.recommendation"},
{"target":"decision","from":"data.recruiterSummary.quickDecision"},
{"target":"rating_1_to_5","from":"data.overallRating"},
{"target":"score_overall","from":"data.scores.overall"},
{"target":"score_communication","from":"data.scores.communication"},
{"target":"score_technical","from":"data.scores.technicalSkills"},
{"target":"score_problem_solving","from":"data.scores.problemSolving"},
{"target":"score_culture_fit","from":"data.scores.cultureFit"},
{"target":"score_experience_match","from":"data.scores.experienceMatch"},
{"target":"score_max","value":100},
{"target":"confidence","from":"data.confidenceLevel"},
{"target":"summary","from":"data.summary"},
{"target":"summary_short","from":"data.oneLineSummary"},
{"target":"strengths","from":"data.strengthsAndWeaknesses.strengths[*].point","ops":[{"op":"join","args":["; "]},"omit_if_empty"]},
{"target":"weaknesses","from":"data.strengthsAndWeaknesses.weaknesses[*].point","ops":[{"op":"join","args":["; "]},"omit_if_empty"]},
{"target":"red_flags","from":"data.redFlags[*].flag","ops":[{"op":"join","args":["; "]},"omit_if_empty"]},
{"target":"report_url","from":"correlation.report_url"},
{"target":"source_platform","from":"data.sourcePlatform"}]}`

const ashbyAssessment = `{"mode":"rules","rules":[
{"target":"candidateId","from":"correlation.candidate_id","required":true},
{"target":"partnerId","value":"boooply"},
{"target":"assessment.assessmentTypeId","value":"boooply-ai-interview"},
{"target":"assessment.assessmentId","from":"data.meetingCode"},
{"target":"assessment.assessmentName","from":"data.title","ops":[{"op":"default","args":["Boooply AI interview"]}]},
{"target":"assessment.result","value":{"identifier":"overall_score","type":"Numeric","label":"Overall score","description":"0–100"}},
{"target":"assessment.result.value","from":"data.scores.overall","required":true},
{"target":"assessment.metadata[0]","value":{"identifier":"recommendation","type":"String","label":"Recommendation"}},
{"target":"assessment.metadata[0].value","from":"data.recommendation"},
{"target":"assessment.metadata[1]","value":{"identifier":"rating","type":"Numeric","label":"Rating (1–5)"}},
{"target":"assessment.metadata[1].value","from":"data.overallRating"},
{"target":"assessment.metadata[2]","value":{"identifier":"summary","type":"String","label":"Summary"}},
{"target":"assessment.metadata[2].value","from":"data.oneLineSummary"},
{"target":"assessment.metadata[3]","value":{"identifier":"report","type":"Url","label":"Full report"}},
{"target":"assessment.metadata[3].value","from":"correlation.report_url"}]}`

const komboResult = `{"mode":"rules","rules":[
{"target":"status","value":"COMPLETED"},
{"target":"completed_at","from":"data.timestamp"},
{"target":"score","from":"data.scores.overall","required":true},
{"target":"max_score","value":100},
{"target":"result_url","from":"correlation.report_url"},
{"target":"attributes[0]","value":{"type":"TEXT","label":"Recommendation"}},
{"target":"attributes[0].value","from":"data.recommendation","ops":[{"op":"default","args":["REVIEW"]}]},
{"target":"attributes[1]","value":{"type":"TEXT","label":"Summary"}},
{"target":"attributes[1].value","from":"data.oneLineSummary","ops":[{"op":"default","args":["\"\""]}]},
{"target":"attributes[2]","value":{"type":"SUB_RESULT","id":"communication","label":"Communication","score":{"max":100},"status":"COMPLETED"}},
{"target":"attributes[2].score.value","from":"data.scores.communication"},
{"target":"attributes[3]","value":{"type":"SUB_RESULT","id":"technical_skills","label":"Technical skills","score":{"max":100},"status":"COMPLETED"}},
{"target":"attributes[3].score.value","from":"data.scores.technicalSkills"},
{"target":"attributes[4]","value":{"type":"SUB_RESULT","id":"problem_solving","label":"Problem solving","score":{"max":100},"status":"COMPLETED"}},
{"target":"attributes[4].score.value","from":"data.scores.problemSolving"},
{"target":"attributes[5]","value":{"type":"SUB_RESULT","id":"culture_fit","label":"Culture fit","score":{"max":100},"status":"COMPLETED"}},
{"target":"attributes[5].score.value","from":"data.scores.cultureFit"},
{"target":"attributes[6]","value":{"type":"SUB_RESULT","id":"experience_match","label":"Experience match","score":{"max":100},"status":"COMPLETED"}},
{"target":"attributes[6].score.value","from":"data.scores.experienceMatch"}]}`
