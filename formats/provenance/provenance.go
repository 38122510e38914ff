// Package provenance reads in-toto attestations of builds: DSSE envelopes
// (one per file, or one per line of *.intoto.jsonl), Sigstore bundles
// holding one, and bare in-toto Statements, with SLSA provenance v0.2 and
// v1 predicates. It gives the subjects and their digests, the builder, the
// source repository and commit, and the build's start and finish times,
// and verifies an envelope's signatures with the builder's public keys
// (ed25519 and ECDSA P-256, PEM). Keyless signatures (Fulcio certificates
// logged in Rekor) need a network Cordon does not use: they are reported
// as not verified, plainly.
//
// Formats: DSSE, github.com/secure-systems-lab/dsse/blob/master/protocol.md
// (PAE); in-toto Statement v0.1 and v1, github.com/in-toto/attestation;
// SLSA provenance v0.2 and v1, slsa.dev/provenance. Every byte is hostile:
// sizes are bounded, and nothing here is printed without escaping at the
// edge.
package provenance

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Bounds on what Parse accepts.
const (
	MaxFile       = 16 << 20
	MaxLine       = 4 << 20
	MaxStatements = 1000
	MaxSubjects   = 10000
	MaxSignatures = 16
)

// Forms of a statement on disk.
const (
	FormDSSE      = "dsse"
	FormSigstore  = "sigstore-bundle"
	FormStatement = "statement"
)

// Verification outcomes.
const (
	Verified   = "verified" // a signature checks out with a key the analyst gave
	Failed     = "failed"   // signed, and no signature checks out with the keys given
	NoKey      = "not verified: no builder key given"
	Keyless    = "not verified: keyless (Fulcio certificate, Rekor log) needs the network, which Cordon does not use"
	Unsigned   = "unsigned"
	KeyUnknown = "not verified: signed by a key not given"
)

// Subject is one artifact a statement is about.
type Subject struct {
	Name   string            `json:"name"`
	Digest map[string]string `json:"digest"`
}

// Signature is one signature of an envelope and what checking it gave.
type Signature struct {
	KeyID    string `json:"keyid,omitempty"`
	Verified bool   `json:"verified"`
	// Key is the fingerprint of the key it verified with.
	Key   string `json:"key,omitempty"`
	Error string `json:"error,omitempty"`
}

// Statement is one in-toto statement and what its SLSA predicate says.
type Statement struct {
	// Line is the 1-based line in a JSON Lines file (1 for a whole file).
	Line          int       `json:"line"`
	Form          string    `json:"form"`
	Type          string    `json:"type"`
	PredicateType string    `json:"predicate_type"`
	Subjects      []Subject `json:"subjects"`
	BuilderID     string    `json:"builder_id,omitempty"`
	BuildType     string    `json:"build_type,omitempty"`
	SourceURI     string    `json:"source_uri,omitempty"`
	SourceCommit  string    `json:"source_commit,omitempty"`
	InvocationID  string    `json:"invocation_id,omitempty"`
	Started       time.Time `json:"started,omitzero"`
	Finished      time.Time `json:"finished,omitzero"`
	// Signatures are the envelope's; Verification sums them up (Verify).
	Signatures   []Signature `json:"signatures,omitempty"`
	Verification string      `json:"verification"`
	Errors       []string    `json:"errors,omitempty"`

	payloadType string
	payload     []byte
	sigs        [][]byte
	keyless     bool
}

// envelope is a DSSE envelope.
type envelope struct {
	PayloadType string `json:"payloadType"`
	Payload     string `json:"payload"`
	Signatures  []struct {
		KeyID string `json:"keyid"`
		Sig   string `json:"sig"`
	} `json:"signatures"`
}

// sigstoreBundle is the part of a Sigstore bundle read here.
type sigstoreBundle struct {
	MediaType            string          `json:"mediaType"`
	DSSEEnvelope         *envelope       `json:"dsseEnvelope"`
	VerificationMaterial json.RawMessage `json:"verificationMaterial"`
}

type statementDoc struct {
	Type          string          `json:"_type"`
	Subject       []Subject       `json:"subject"`
	PredicateType string          `json:"predicateType"`
	Predicate     json.RawMessage `json:"predicate"`
}

// digestSet is a DigestSet: algorithm → hex.
type digestSet map[string]string

type predicateV02 struct {
	Builder struct {
		ID string `json:"id"`
	} `json:"builder"`
	BuildType  string `json:"buildType"`
	Invocation struct {
		ConfigSource struct {
			URI    string    `json:"uri"`
			Digest digestSet `json:"digest"`
		} `json:"configSource"`
	} `json:"invocation"`
	Metadata struct {
		BuildInvocationID string `json:"buildInvocationId"`
		BuildStartedOn    string `json:"buildStartedOn"`
		BuildFinishedOn   string `json:"buildFinishedOn"`
	} `json:"metadata"`
	Materials []struct {
		URI    string    `json:"uri"`
		Digest digestSet `json:"digest"`
	} `json:"materials"`
}

type predicateV1 struct {
	BuildDefinition struct {
		BuildType            string          `json:"buildType"`
		ExternalParameters   json.RawMessage `json:"externalParameters"`
		ResolvedDependencies []struct {
			URI    string    `json:"uri"`
			Name   string    `json:"name"`
			Digest digestSet `json:"digest"`
		} `json:"resolvedDependencies"`
	} `json:"buildDefinition"`
	RunDetails struct {
		Builder struct {
			ID string `json:"id"`
		} `json:"builder"`
		Metadata struct {
			InvocationID string `json:"invocationId"`
			StartedOn    string `json:"startedOn"`
			FinishedOn   string `json:"finishedOn"`
		} `json:"metadata"`
	} `json:"runDetails"`
}

// Predicate types read.
const (
	SLSAv02 = "https://slsa.dev/provenance/v0.2"
	SLSAv1  = "https://slsa.dev/provenance/v1"
)

// ErrTooLarge is returned for a file over MaxFile.
var ErrTooLarge = errors.New("provenance file larger than the bound")

// Parse reads a provenance file: one JSON document (envelope, Sigstore
// bundle or statement) or JSON Lines of them. A document it cannot read is
// a Statement with Errors, never dropped silently.
func Parse(data []byte) ([]Statement, error) {
	if len(data) > MaxFile {
		return nil, ErrTooLarge
	}
	trimmed := bytes.TrimSpace(data)
	if len(trimmed) == 0 {
		return nil, errors.New("empty provenance file")
	}
	if json.Valid(trimmed) {
		return []Statement{parseDoc(trimmed, 1)}, nil
	}
	var out []Statement
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 64<<10), MaxLine)
	line := 0
	for sc.Scan() {
		line++
		b := bytes.TrimSpace(sc.Bytes())
		if len(b) == 0 {
			continue
		}
		if len(out) >= MaxStatements {
			return out, fmt.Errorf("more than %d statements: the rest not read", MaxStatements)
		}
		out = append(out, parseDoc(b, line))
	}
	if err := sc.Err(); err != nil {
		return out, fmt.Errorf("line %d: %w", line+1, err)
	}
	return out, nil
}

func (s *Statement) errorf(format string, args ...any) {
	if len(s.Errors) < 32 {
		s.Errors = append(s.Errors, fmt.Sprintf(format, args...))
	}
}

func parseDoc(b []byte, line int) Statement {
	s := Statement{Line: line, Verification: Unsigned}
	var probe map[string]json.RawMessage
	if err := json.Unmarshal(b, &probe); err != nil {
		s.errorf("not a JSON object: %v", err)
		return s
	}
	var env *envelope
	switch {
	case probe["dsseEnvelope"] != nil:
		var sb sigstoreBundle
		if err := json.Unmarshal(b, &sb); err != nil || sb.DSSEEnvelope == nil {
			s.errorf("Sigstore bundle: %v", err)
			return s
		}
		s.Form, env = FormSigstore, sb.DSSEEnvelope
		s.keyless = len(sb.VerificationMaterial) > 0 && bytes.Contains(sb.VerificationMaterial, []byte(`"certificate`))
	case probe["payload"] != nil:
		env = &envelope{}
		if err := json.Unmarshal(b, env); err != nil {
			s.errorf("DSSE envelope: %v", err)
			return s
		}
		s.Form = FormDSSE
	case probe["_type"] != nil:
		s.Form = FormStatement
		s.payload = b
	default:
		s.errorf("neither a DSSE envelope, a Sigstore bundle nor an in-toto statement")
		return s
	}
	if env != nil {
		s.payloadType = env.PayloadType
		p, err := base64.StdEncoding.DecodeString(env.Payload)
		if err != nil {
			if p, err = base64.URLEncoding.DecodeString(env.Payload); err != nil {
				s.errorf("payload: not base64: %v", err)
				return s
			}
		}
		s.payload = p
		for i, sig := range env.Signatures {
			if i >= MaxSignatures {
				s.errorf("more than %d signatures: the rest not read", MaxSignatures)
				break
			}
			raw, err := base64.StdEncoding.DecodeString(sig.Sig)
			if err != nil {
				raw, err = base64.URLEncoding.DecodeString(sig.Sig)
			}
			s.Signatures = append(s.Signatures, Signature{KeyID: sig.KeyID})
			if err != nil {
				s.Signatures[len(s.Signatures)-1].Error = "signature is not base64"
				raw = nil
			}
			s.sigs = append(s.sigs, raw)
		}
		if len(s.Signatures) > 0 {
			s.Verification = NoKey
			if s.keyless {
				s.Verification = Keyless
			}
		}
		if env.PayloadType != "application/vnd.in-toto+json" {
			s.errorf("payload type %q is not in-toto", env.PayloadType)
		}
	}
	s.readStatement()
	return s
}

func (s *Statement) readStatement() {
	var doc statementDoc
	if err := json.Unmarshal(s.payload, &doc); err != nil {
		s.errorf("statement: %v", err)
		return
	}
	s.Type, s.PredicateType = doc.Type, doc.PredicateType
	if !strings.HasPrefix(doc.Type, "https://in-toto.io/Statement/") {
		s.errorf("statement type %q is not in-toto", doc.Type)
	}
	if len(doc.Subject) > MaxSubjects {
		s.errorf("%d subjects: only the first %d read", len(doc.Subject), MaxSubjects)
		doc.Subject = doc.Subject[:MaxSubjects]
	}
	for _, sub := range doc.Subject {
		d := map[string]string{}
		for alg, v := range sub.Digest {
			d[strings.ToLower(alg)] = strings.ToLower(v)
		}
		s.Subjects = append(s.Subjects, Subject{Name: sub.Name, Digest: d})
	}
	when := func(field, v string) time.Time {
		if v == "" {
			return time.Time{}
		}
		t, err := time.Parse(time.RFC3339Nano, v)
		if err != nil {
			s.errorf("%s: not an RFC 3339 time", field)
		}
		return t.UTC()
	}
	switch doc.PredicateType {
	case SLSAv02:
		var p predicateV02
		if err := json.Unmarshal(doc.Predicate, &p); err != nil {
			s.errorf("SLSA v0.2 predicate: %v", err)
			return
		}
		s.BuilderID, s.BuildType, s.InvocationID = p.Builder.ID, p.BuildType, p.Metadata.BuildInvocationID
		s.Started = when("buildStartedOn", p.Metadata.BuildStartedOn)
		s.Finished = when("buildFinishedOn", p.Metadata.BuildFinishedOn)
		s.SourceURI, s.SourceCommit = p.Invocation.ConfigSource.URI, commitOf(p.Invocation.ConfigSource.Digest)
		if s.SourceURI == "" || s.SourceCommit == "" {
			for _, m := range p.Materials {
				if c := commitOf(m.Digest); c != "" && isSource(m.URI) {
					s.SourceURI, s.SourceCommit = m.URI, c
					break
				}
			}
		}
	case SLSAv1:
		var p predicateV1
		if err := json.Unmarshal(doc.Predicate, &p); err != nil {
			s.errorf("SLSA v1 predicate: %v", err)
			return
		}
		s.BuilderID, s.BuildType, s.InvocationID = p.RunDetails.Builder.ID, p.BuildDefinition.BuildType, p.RunDetails.Metadata.InvocationID
		s.Started = when("startedOn", p.RunDetails.Metadata.StartedOn)
		s.Finished = when("finishedOn", p.RunDetails.Metadata.FinishedOn)
		for _, d := range p.BuildDefinition.ResolvedDependencies {
			if c := commitOf(d.Digest); c != "" && isSource(d.URI) {
				s.SourceURI, s.SourceCommit = d.URI, c
				break
			}
		}
		if s.SourceURI == "" {
			// GitHub's builders name the repository in the external parameters.
			var ext struct {
				Workflow struct {
					Repository string `json:"repository"`
					Ref        string `json:"ref"`
				} `json:"workflow"`
			}
			if json.Unmarshal(p.BuildDefinition.ExternalParameters, &ext) == nil {
				s.SourceURI = ext.Workflow.Repository
			}
		}
	default:
		s.errorf("predicate type %q: subjects read, builder and source unknown", doc.PredicateType)
	}
}

// commitOf returns a source commit from a digest set.
func commitOf(d digestSet) string {
	for _, k := range []string{"gitCommit", "sha1", "gitcommit"} {
		if v := d[k]; v != "" {
			return strings.ToLower(v)
		}
	}
	return ""
}

func isSource(uri string) bool {
	return strings.HasPrefix(uri, "git+") || strings.HasSuffix(strings.SplitN(uri, "@", 2)[0], ".git") ||
		strings.Contains(uri, "github.com/") || strings.Contains(uri, "gitlab")
}

// SHA256 returns the subject's SHA-256 ("" when it has none).
func (s Subject) SHA256() string { return s.Digest["sha256"] }
