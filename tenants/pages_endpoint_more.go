package tenants

import "github.com/switchboard-gw/switchboard/views"

// endpointFormMore fills the endpoint form's HTTP method, health probe and
// mutual-TLS fields; the client key is write-only (set / not set).
func (h *Pages) endpointFormMore(p *views.EndpointForm, e *Endpoint, fld func(name, label, value, hint string) views.Field) {
	p.Method = fld("method", "HTTP method", "", "Most receivers take POST; some ATS APIs want PUT or PATCH.")
	for _, m := range Methods {
		p.Method.Options = append(p.Method.Options, views.Option{Value: m, Label: m, Selected: m == e.Method || (e.Method == "" && m == DefaultMethod)})
	}
	p.ProbeURL = fld("probe_url", "Health probe URL", e.ProbeURL,
		"Optional. While the endpoint fails, a GET here (2xx) tells when to resume before the next retry.")
	p.ClientCert = fld("client_cert_pem", "Client certificate (PEM)", e.ClientCertPEM,
		"For receivers that require mutual TLS. Public; paste the CERTIFICATE block(s).")
	p.ClientKey = fld("client_key_pem", "Client private key (PEM)", "", "Write-only: stored sealed, never shown again.")
	p.HasClientKey = e.ClientKeySealed != ""
}
