package webhooks

import (
	"encoding/json"
	"fmt"
)

// Envelope is the body of every Boooply webhook: {"event": …, "data": …}.
// Decoding is lenient: fields Switchboard doesn't know are ignored here and
// stay in the stored raw body.
type Envelope[T any] struct {
	Event string `json:"event"`
	Data  T      `json:"data"`
}

// SourceFields are on every event: who the interview belongs to. All three
// are null for interviews created in Boooply's dashboard.
type SourceFields struct {
	Source         *string `json:"source"`
	SourceID       *string `json:"sourceId"`
	SourcePlatform *string `json:"sourcePlatform"`
}

// Common are the fields most events share. Title, MeetingType,
// CandidateName and JobRole are absent from some events.
type Common struct {
	SourceFields
	MeetingCode   string `json:"meetingCode"`
	Title         string `json:"title,omitempty"`
	MeetingType   string `json:"meetingType,omitempty"` // AI_ONLY or HUMAN
	CandidateName string `json:"candidateName,omitempty"`
	JobRole       string `json:"jobRole,omitempty"`
	Timestamp     string `json:"timestamp"` // ISO-8601
}

// Transcript is interview.transcript.
type Transcript struct {
	Common
	IsTeamMeeting   bool              `json:"isTeamMeeting"`
	Transcript      []TranscriptEntry `json:"transcript"`
	TranscriptCount int               `json:"transcriptCount"`
}

// TranscriptEntry is one utterance; AI interviews have no EndMs.
type TranscriptEntry struct {
	Speaker string `json:"speaker"`
	Text    string `json:"text"`
	StartMs int64  `json:"startMs"`
	EndMs   *int64 `json:"endMs,omitempty"`
}

// ScoreBreakdown is the 0–100 category scores.
type ScoreBreakdown struct {
	Overall         *float64 `json:"overall,omitempty"`
	Communication   *float64 `json:"communication,omitempty"`
	TechnicalSkills *float64 `json:"technicalSkills,omitempty"`
	ProblemSolving  *float64 `json:"problemSolving,omitempty"`
	CultureFit      *float64 `json:"cultureFit,omitempty"`
	ExperienceMatch *float64 `json:"experienceMatch,omitempty"`
}

// RatingsForRecruiters is the 0–100 subset "formatted for ATS import".
type RatingsForRecruiters struct {
	TechnicalSkills *float64 `json:"technicalSkills,omitempty"`
	Communication   *float64 `json:"communication,omitempty"`
	CultureFit      *float64 `json:"cultureFit,omitempty"`
	Overall         *float64 `json:"overall,omitempty"`
}

// Scores is interview.scores (fired alongside interview.evaluation).
type Scores struct {
	Common
	ScoreFields
}

// ScoreFields are shared by interview.scores and interview.evaluation.
type ScoreFields struct {
	OverallRating        *float64              `json:"overallRating"`  // 1–5
	Recommendation       string                `json:"recommendation"` // STRONG_PASS … STRONG_FAIL
	ConfidenceLevel      string                `json:"confidenceLevel"`
	Scores               ScoreBreakdown        `json:"scores"`
	RatingsForRecruiters *RatingsForRecruiters `json:"ratingsForRecruiters,omitempty"`
	OneLineSummary       string                `json:"oneLineSummary"`
}

// Evaluation is interview.evaluation. MeetingStatistics and
// CustomQuestionResponses are documented without a shape, so they stay raw.
type Evaluation struct {
	Common
	ScoreFields
	Summary                 string                  `json:"summary"`
	RecruiterSummary        *RecruiterSummary       `json:"recruiterSummary,omitempty"`
	SkillsAssessment        []SkillRating           `json:"skillsAssessment,omitempty"`
	StrengthsAndWeaknesses  *StrengthsAndWeaknesses `json:"strengthsAndWeaknesses,omitempty"`
	RedFlags                []RedFlag               `json:"redFlags,omitempty"`
	PositiveSignals         []PositiveSignal        `json:"positiveSignals,omitempty"`
	SentimentAnalysis       *SentimentAnalysis      `json:"sentimentAnalysis,omitempty"`
	QuestionsAsked          []QuestionAsked         `json:"questionsAsked,omitempty"`
	NextSteps               *NextSteps              `json:"nextSteps,omitempty"`
	MeetingStatistics       json.RawMessage         `json:"meetingStatistics,omitempty"`
	CustomQuestionResponses json.RawMessage         `json:"customQuestionResponses,omitempty"`
}

// RecruiterSummary is the TL;DR and quick decision (ADVANCE/HOLD/REJECT).
type RecruiterSummary struct {
	TLDR          string `json:"tldr"`
	QuickDecision string `json:"quickDecision"`
}

// SkillRating is one skill rated 1–5 with evidence.
type SkillRating struct {
	Skill    string   `json:"skill"`
	Rating   *float64 `json:"rating"`
	Evidence string   `json:"evidence"`
}

// Point is a strength or weakness with evidence.
type Point struct {
	Point    string `json:"point"`
	Evidence string `json:"evidence"`
}

// StrengthsAndWeaknesses lists both.
type StrengthsAndWeaknesses struct {
	Strengths  []Point `json:"strengths"`
	Weaknesses []Point `json:"weaknesses"`
}

// RedFlag is a concern, severity CRITICAL or WARNING.
type RedFlag struct {
	Flag     string `json:"flag"`
	Severity string `json:"severity"`
	Context  string `json:"context"`
}

// PositiveSignal is a positive indicator.
type PositiveSignal struct {
	Signal  string `json:"signal"`
	Context string `json:"context"`
}

// SentimentAnalysis is the candidate's tone.
type SentimentAnalysis struct {
	Enthusiasm   string `json:"enthusiasm"`
	Authenticity string `json:"authenticity"`
	StressLevel  string `json:"stressLevel"`
}

// QuestionAsked is one question with the answer's quality (1–5) and its
// "mm:ss" position in the interview.
type QuestionAsked struct {
	Topic           string   `json:"topic"`
	Question        string   `json:"question"`
	CandidateAnswer string   `json:"candidateAnswer"`
	AnswerQuality   *float64 `json:"answerQuality"`
	Timestamp       string   `json:"timestamp"`
}

// NextSteps is the follow-up advice.
type NextSteps struct {
	Recommendation         string   `json:"recommendation"`
	QuestionsToAsk         []string `json:"questionsToAsk"`
	FocusAreasForNextRound []string `json:"focusAreasForNextRound"`
}

// Recording is interview.recording. VideoURL is pre-signed and expires
// (7 days); VideoAPIURL is stable but needs the organization's API key.
type Recording struct {
	Common
	Duration    *float64 `json:"duration"` // seconds
	Format      string   `json:"format"`
	VideoURL    string   `json:"videoUrl"`
	VideoAPIURL string   `json:"videoApiUrl"`
}

// InterviewerEvaluation is interview.interviewer_evaluation: about the
// interviewer of a 1-to-1 human interview, so not forwarded by default.
type InterviewerEvaluation struct {
	Common
	Participants          []Participant          `json:"participants"`
	InterviewerEvaluation InterviewerAssessment  `json:"interviewerEvaluation"`
	AnalysisMeta          *InterviewAnalysisMeta `json:"analysisMeta,omitempty"`
}

// Participant is one person in the meeting.
type Participant struct {
	Name  string `json:"name"`
	Email string `json:"email,omitempty"`
	Role  string `json:"role"`
}

// InterviewerAssessment rates the interviewer. OverallRating (1–5) is null
// when ConfidenceLevel is LOW. The sub-assessments are documented by name
// only, so they stay raw.
type InterviewerAssessment struct {
	OverallRating           *float64        `json:"overallRating"`
	ConfidenceLevel         string          `json:"confidenceLevel"`
	QuestionQuality         json.RawMessage `json:"questionQuality,omitempty"`
	BiasAssessment          json.RawMessage `json:"biasAssessment,omitempty"`
	TimeManagement          json.RawMessage `json:"timeManagement,omitempty"`
	CandidateExperience     json.RawMessage `json:"candidateExperience,omitempty"`
	ProfessionalConduct     json.RawMessage `json:"professionalConduct,omitempty"`
	Strengths               json.RawMessage `json:"strengths,omitempty"`
	Improvements            json.RawMessage `json:"improvements,omitempty"`
	CoachingRecommendations json.RawMessage `json:"coachingRecommendations,omitempty"`
}

// InterviewAnalysisMeta describes the analysis run.
type InterviewAnalysisMeta struct {
	DurationMs *int64 `json:"durationMs,omitempty"`
}

// decode is the Decode func of an event type: lenient (unknown fields are
// ignored, never an error), strict only about JSON syntax and field types.
func decode[T any](body []byte) (any, error) {
	var env Envelope[T]
	if err := json.Unmarshal(body, &env); err != nil {
		return nil, fmt.Errorf("decode %T: %w", env.Data, err)
	}
	return &env, nil
}
