package provenance

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"strings"
	"testing"
	"time"
)

const stmtV02 = `{"_type":"https://in-toto.io/Statement/v0.1","subject":[{"name":"prog","digest":{"sha256":"AB12"}}],
"predicateType":"https://slsa.dev/provenance/v0.2","predicate":{"builder":{"id":"https://ci.example/builder/7"},
"buildType":"https://ci.example/make","invocation":{"configSource":{"uri":"git+https://git.example/app.git@refs/heads/main","digest":{"sha1":"c2c2c2"},"entryPoint":"Makefile"}},
"metadata":{"buildInvocationId":"run-2","buildStartedOn":"2026-11-02T10:00:00Z","buildFinishedOn":"2026-11-02T10:04:00Z"}}}`

const stmtV1 = `{"_type":"https://in-toto.io/Statement/v1","subject":[{"name":"out/prog","digest":{"sha256":"cd34","sha512":"ee"}}],
"predicateType":"https://slsa.dev/provenance/v1","predicate":{"buildDefinition":{"buildType":"https://ci.example/v1",
"externalParameters":{"workflow":{"repository":"https://github.com/example/app","ref":"refs/heads/main"}},
"resolvedDependencies":[{"uri":"git+https://github.com/example/app@refs/heads/main","digest":{"gitCommit":"c3c3c3"}}]},
"runDetails":{"builder":{"id":"https://ci.example/builder/7"},"metadata":{"invocationId":"run-3","startedOn":"2026-11-03T10:00:00Z","finishedOn":"2026-11-03T10:05:00Z"}}}}`

func envelopeJSON(t *testing.T, payload string, sign func([]byte) []byte) string {
	t.Helper()
	pt := "application/vnd.in-toto+json"
	env := map[string]any{"payloadType": pt, "payload": base64.StdEncoding.EncodeToString([]byte(payload)), "signatures": []any{}}
	if sign != nil {
		env["signatures"] = []any{map[string]string{"keyid": "builder", "sig": base64.StdEncoding.EncodeToString(sign(PAE(pt, []byte(payload))))}}
	}
	b, err := json.Marshal(env)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func pemOf(t *testing.T, pub any) []byte {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
}

func TestStatements(t *testing.T) {
	s, err := Parse([]byte(stmtV02))
	if err != nil || len(s) != 1 {
		t.Fatal(err, s)
	}
	got := s[0]
	want := Statement{Line: 1, Form: FormStatement, Type: "https://in-toto.io/Statement/v0.1", PredicateType: SLSAv02,
		BuilderID: "https://ci.example/builder/7", BuildType: "https://ci.example/make",
		SourceURI: "git+https://git.example/app.git@refs/heads/main", SourceCommit: "c2c2c2", InvocationID: "run-2",
		Started: time.Date(2026, 11, 2, 10, 0, 0, 0, time.UTC), Finished: time.Date(2026, 11, 2, 10, 4, 0, 0, time.UTC), Verification: Unsigned}
	if got.BuilderID != want.BuilderID || got.SourceURI != want.SourceURI || got.SourceCommit != want.SourceCommit ||
		!got.Started.Equal(want.Started) || !got.Finished.Equal(want.Finished) || got.Form != want.Form || got.Verification != Unsigned ||
		len(got.Subjects) != 1 || got.Subjects[0].SHA256() != "ab12" || len(got.Errors) > 0 {
		t.Errorf("v0.2: %+v", got)
	}
	s, err = Parse([]byte(stmtV1))
	if err != nil {
		t.Fatal(err)
	}
	got = s[0]
	if got.SourceCommit != "c3c3c3" || got.SourceURI != "git+https://github.com/example/app@refs/heads/main" || got.InvocationID != "run-3" ||
		!got.Finished.Equal(time.Date(2026, 11, 3, 10, 5, 0, 0, time.UTC)) || got.Subjects[0].Name != "out/prog" || len(got.Errors) > 0 {
		t.Errorf("v1: %+v", got)
	}
}

func TestSignatures(t *testing.T) {
	edPub, edPriv, _ := ed25519.GenerateKey(rand.Reader)
	ecPriv, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	otherPub, _, _ := ed25519.GenerateKey(rand.Reader)
	edKeys, err := ParsePublicKeys(pemOf(t, edPub))
	if err != nil {
		t.Fatal(err)
	}
	ecKeys, err := ParsePublicKeys(pemOf(t, &ecPriv.PublicKey))
	if err != nil {
		t.Fatal(err)
	}
	otherKeys, _ := ParsePublicKeys(pemOf(t, otherPub))
	edSign := func(m []byte) []byte { return ed25519.Sign(edPriv, m) }
	ecSign := func(m []byte) []byte {
		h := sha256.Sum256(m)
		sig, err := ecdsa.SignASN1(rand.Reader, ecPriv, h[:])
		if err != nil {
			t.Fatal(err)
		}
		return sig
	}
	flip := func(env string) string {
		// alter the payload after signing: one subject digest changed
		var e map[string]any
		json.Unmarshal([]byte(env), &e)
		p, _ := base64.StdEncoding.DecodeString(e["payload"].(string))
		e["payload"] = base64.StdEncoding.EncodeToString([]byte(strings.Replace(string(p), "AB12", "AB13", 1)))
		b, _ := json.Marshal(e)
		return string(b)
	}
	cases := []struct {
		name string
		doc  string
		keys []PublicKey
		want string
	}{
		{"ed25519, right key", envelopeJSON(t, stmtV02, edSign), edKeys, Verified},
		{"ECDSA P-256, right key", envelopeJSON(t, stmtV02, ecSign), ecKeys, Verified},
		{"ed25519, both keys given", envelopeJSON(t, stmtV02, edSign), append(ecKeys, edKeys...), Verified},
		{"ed25519, wrong key", envelopeJSON(t, stmtV02, edSign), otherKeys, Failed},
		{"payload altered after signing", flip(envelopeJSON(t, stmtV02, edSign)), edKeys, Failed},
		{"signed, no key given", envelopeJSON(t, stmtV02, edSign), nil, NoKey},
		{"envelope without signatures", envelopeJSON(t, stmtV02, nil), edKeys, Unsigned},
		{"bare statement", stmtV02, edKeys, Unsigned},
		{"keyless Sigstore bundle", `{"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json","verificationMaterial":{"certificate":{"rawBytes":"MII="}},"dsseEnvelope":` +
			envelopeJSON(t, stmtV02, edSign) + `}`, otherKeys, Keyless},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s, err := Parse([]byte(c.doc))
			if err != nil || len(s) != 1 {
				t.Fatal(err)
			}
			s[0].Verify(c.keys)
			if s[0].Verification != c.want {
				t.Errorf("verification %q, want %q (%+v)", s[0].Verification, c.want, s[0].Signatures)
			}
		})
	}
}

func TestJSONLinesAndDamage(t *testing.T) {
	doc := envelopeJSON(t, stmtV02, nil) + "\n\n" + envelopeJSON(t, stmtV1, nil) + "\n{not json\n" + `{"payload":"%%%"}` + "\n"
	s, err := Parse([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	if len(s) != 4 || s[0].Line != 1 || s[1].Line != 3 || s[1].SourceCommit != "c3c3c3" || len(s[2].Errors) == 0 || len(s[3].Errors) == 0 {
		t.Errorf("%+v", s)
	}
	if _, err := Parse(make([]byte, MaxFile+1)); err == nil {
		t.Error("oversized file accepted")
	}
	if _, err := ParsePublicKeys([]byte("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n")); err == nil {
		t.Error("garbage key accepted")
	}
}
