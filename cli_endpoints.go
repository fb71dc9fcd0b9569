package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/switchboard-gw/switchboard/tenants"
)

const endpointsActions = "add, update, remove, list or rotate-secret"

func cmdEndpoints(ctx context.Context, args []string, out io.Writer) error {
	if len(args) == 0 {
		return errors.New("endpoints: want " + endpointsActions)
	}
	actions := map[string]command{
		"add": endpointsAdd, "update": endpointsUpdate, "remove": endpointsRemove,
		"list": endpointsList, "rotate-secret": endpointsRotate,
	}
	act, ok := actions[args[0]]
	if !ok {
		return fmt.Errorf("endpoints: unknown action %q (want %s)", args[0], endpointsActions)
	}
	return act(ctx, args[1:], out)
}

// endpointFlags binds every endpoint setting to a flag; input() returns only the flags given.
type endpointFlags struct {
	fs                                        *flag.FlagSet
	url, description, authType, authHeader    *string
	method, probeURL                          *string
	authSecretFile, certFile, keyFile         *string
	subscribe                                 *string
	headers                                   stringList
	tokenURL, clientID, scopes, clientAuth    *string
	tokenParams                               stringList
	bhUser, bhPasswordFile, bhLoginInfo       *string
	bhRedirect                                *string
	timeout, maxAge                           *time.Duration
	maxAttempts, maxConcurrency               *int
	rate                                      *float64
	enabled, retry4xx, skipRevisions, ordered *bool
}

func addEndpointFlags(fs *flag.FlagSet) *endpointFlags {
	f := &endpointFlags{fs: fs}
	f.url = fs.String("url", "", "endpoint URL")
	f.method = fs.String("method", tenants.DefaultMethod, "HTTP method of each delivery: POST, PUT or PATCH")
	f.probeURL = fs.String("probe-url", "", "health probe: while disabled automatically, a 2xx GET here re-enables the endpoint and redelivers what failed")
	f.description = fs.String("description", "", "what this endpoint is")
	f.enabled = fs.Bool("enabled", true, "deliver to this endpoint")
	f.subscribe = fs.String("subscribe", "", "comma-separated event types (known, or received from Boooply), or * for all but interview.interviewer_evaluation, which must be named (empty: the defaults)")
	f.authType = fs.String("auth-type", "none", "none, bearer, basic, header, oauth2 or bullhorn")
	f.authHeader = fs.String("auth-header", "", "header name for --auth-type header")
	f.authSecretFile = fs.String("auth-secret-file", "", "file holding the bearer token, user:password, header value or OAuth2 client secret (oauth2, bullhorn) (- = stdin)")
	f.tokenURL = fs.String("token-url", "", "OAuth2 token endpoint for --auth-type oauth2 (client credentials grant)")
	f.clientID = fs.String("client-id", "", "OAuth2 client id for --auth-type oauth2 or bullhorn")
	f.scopes = fs.String("scopes", "", "comma-separated OAuth2 scopes to ask for (empty: none)")
	fs.Var(&f.tokenParams, "token-param", "extra OAuth2 token request parameter name=value (not secret, e.g. sub=<Greenhouse user id>); repeat for several")
	f.clientAuth = fs.String("client-auth", tenants.OAuth2ClientAuthBasic, "how the OAuth2 client authenticates to the token endpoint: basic or body")
	f.bhUser = fs.String("bullhorn-user", "", "Bullhorn API user name for --auth-type bullhorn")
	f.bhPasswordFile = fs.String("bullhorn-password-file", "", "file holding the Bullhorn API user's password (- = stdin)")
	f.bhLoginInfo = fs.String("bullhorn-login-info-url", "", "Bullhorn loginInfo URL that finds the user's data centre (empty: "+tenants.DefaultBullhornLoginInfoURL+")")
	f.bhRedirect = fs.String("bullhorn-redirect-uri", "", "redirect_uri registered with the Bullhorn client, if any (sent, never followed)")
	fs.Var(&f.headers, "header", "static header Name=value; repeat for several")
	f.timeout = fs.Duration("timeout", 0, "time limit of one attempt (0: server default)")
	f.maxAttempts = fs.Int("max-attempts", 0, "total attempts (0: server default)")
	f.maxAge = fs.Duration("max-age", 0, "give up this long after the event arrived (0: server default)")
	f.retry4xx = fs.Bool("retry-4xx", false, "retry 4xx answers other than 408/429")
	f.skipRevisions = fs.Bool("skip-revisions", false, "don't forward re-fired revisions")
	f.maxConcurrency = fs.Int("max-concurrency", 0, "attempts in flight at once (0: server default)")
	f.rate = fs.Float64("rate-limit", 0, "attempts per second (0: unlimited; otherwise 0.000278, one per hour, to 10000)")
	f.ordered = fs.Bool("ordered", false, "deliver events of one meeting in arrival order")
	f.certFile = fs.String("client-cert", "", "PEM file with the mutual-TLS client certificate")
	f.keyFile = fs.String("client-key", "", "PEM file with the mutual-TLS private key")
	return f
}

func (f *endpointFlags) input() (tenants.EndpointInput, error) {
	var in tenants.EndpointInput
	var err error
	f.fs.Visit(func(fl *flag.Flag) {
		if err == nil {
			err = f.setField(&in, fl.Name)
		}
	})
	return in, err
}

func (f *endpointFlags) setField(in *tenants.EndpointInput, name string) error {
	switch name {
	case "url":
		in.URL = f.url
	case "method":
		in.Method = f.method
	case "probe-url":
		in.ProbeURL = f.probeURL
	case "description":
		in.Description = f.description
	case "enabled":
		in.Enabled = f.enabled
	case "subscribe":
		subs := splitList(*f.subscribe)
		in.Subscriptions = &subs
	case "auth-type":
		at := tenants.AuthType(*f.authType)
		in.AuthType = &at
	case "auth-header":
		in.AuthHeaderName = f.authHeader
	case "token-url":
		in.OAuth2TokenURL = f.tokenURL
	case "client-id":
		in.OAuth2ClientID = f.clientID
	case "scopes":
		scopes := splitList(*f.scopes)
		in.OAuth2Scopes = &scopes
	case "token-param":
		params, err := parseNamedPairs("--token-param", f.tokenParams)
		in.OAuth2Params = &params
		return err
	case "client-auth":
		in.OAuth2ClientAuth = f.clientAuth
	case "bullhorn-user":
		in.BullhornUsername = f.bhUser
	case "bullhorn-password-file":
		return readInto(&in.BullhornPassword, *f.bhPasswordFile)
	case "bullhorn-login-info-url":
		in.BullhornLoginInfo = f.bhLoginInfo
	case "bullhorn-redirect-uri":
		in.BullhornRedirect = f.bhRedirect
	case "header":
		h, err := parseHeaders(f.headers)
		in.Headers = &h
		return err
	case "timeout":
		ms := int(f.timeout.Milliseconds())
		in.TimeoutMS = &ms
	case "max-age":
		s := int(f.maxAge.Seconds())
		in.MaxAgeSeconds = &s
	case "max-attempts":
		in.MaxAttempts = f.maxAttempts
	case "max-concurrency":
		in.MaxConcurrency = f.maxConcurrency
	case "rate-limit":
		in.RateLimitPerSecond = f.rate
	case "retry-4xx":
		in.RetryClientErrors = f.retry4xx
	case "skip-revisions":
		in.SkipRevisions = f.skipRevisions
	case "ordered":
		in.Ordered = f.ordered
	case "auth-secret-file":
		return readInto(&in.AuthSecret, *f.authSecretFile)
	case "client-cert":
		return readInto(&in.ClientCertPEM, *f.certFile)
	case "client-key":
		return readInto(&in.ClientKeyPEM, *f.keyFile)
	}
	return nil
}

// readInto reads a secret or PEM from path ("-" = stdin, "" = clear it).
func readInto(dst **string, path string) error {
	var b []byte
	var err error
	switch path {
	case "":
	case "-":
		b, err = io.ReadAll(os.Stdin)
	default:
		b, err = os.ReadFile(path)
	}
	if err != nil {
		return fmt.Errorf("read %s: %w", path, err)
	}
	s := strings.TrimRight(string(b), "\r\n")
	*dst = &s
	return nil
}

func parseHeaders(list []string) (map[string]string, error) {
	return parseNamedPairs("--header", list)
}

// parseNamedPairs reads repeated Name=value flags, each name once.
func parseNamedPairs(flagName string, list []string) (map[string]string, error) {
	h := map[string]string{}
	for _, kv := range list {
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			return nil, fmt.Errorf("%s %q: want Name=value", flagName, kv)
		}
		if _, dup := h[k]; dup {
			return nil, fmt.Errorf("%s %s is given twice: keep one", flagName, k)
		}
		h[k] = v
	}
	return h, nil
}

func endpointsAdd(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("endpoints add", flag.ContinueOnError)
	cf := addCLIFlags(fs)
	tenant := tenantFlag(fs)
	ef := addEndpointFlags(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := needTenant(*tenant); err != nil {
		return err
	}
	in, err := ef.input()
	if err != nil {
		return err
	}
	env, err := cf.open(ctx)
	if err != nil {
		return err
	}
	defer env.db.Close()
	v, err := env.ed.AddEndpoint(ctx, *tenant, in)
	if err != nil {
		return err
	}
	if err := recordCLI(ctx, env.db, "endpoint.create", *tenant, auditTarget("endpoint", v.ID), nil, cliEndpointView(v)); err != nil {
		return err
	}
	if v.NewSigningSecret == "" { // no operator key: the warning on stderr said why
		_, err = fmt.Fprintf(out, "endpoint %d added without a signing secret\n", v.ID)
		return err
	}
	_, err = fmt.Fprintf(out, "endpoint %d added\nsigning secret (shown once, store it now): %s\n", v.ID, v.NewSigningSecret)
	return err
}

func endpointsUpdate(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("endpoints update", flag.ContinueOnError)
	cf := addCLIFlags(fs)
	tenant := tenantFlag(fs)
	id := fs.Int64("endpoint", 0, "endpoint id (required)")
	ef := addEndpointFlags(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := needEndpoint(*tenant, *id); err != nil {
		return err
	}
	in, err := ef.input()
	if err != nil {
		return err
	}
	env, err := cf.open(ctx)
	if err != nil {
		return err
	}
	defer env.db.Close()
	before, err := env.ed.FindEndpoint(ctx, *tenant, *id)
	if err != nil {
		return err
	}
	v, err := env.ed.UpdateEndpoint(ctx, *tenant, *id, in)
	if err != nil {
		return err
	}
	if err := recordCLI(ctx, env.db, "endpoint.update", *tenant, auditTarget("endpoint", *id), before.View(), cliEndpointView(v)); err != nil {
		return err
	}
	_, err = fmt.Fprintf(out, "endpoint %d updated\n", *id)
	return err
}

func needEndpoint(tenant, id int64) error {
	if tenant <= 0 || id <= 0 {
		return errors.New("--tenant ID and --endpoint ID are required")
	}
	return nil
}
