package export

// auth.go holds how Cordon proves who it is to the engine (basic auth or an
// API key, read from a file or the environment: a secret on the command
// line would show in every process list) and whom it trusts (the system's
// roots, or exactly the CA given).

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"time"
)

// Environment variables read for credentials.
const (
	EnvUser     = "CORDON_EXPORT_USER"
	EnvPassword = "CORDON_EXPORT_PASSWORD"
	EnvAPIKey   = "CORDON_EXPORT_API_KEY"
)

// maxSecretFile bounds a password or key file.
const maxSecretFile = 64 << 10

// Credentials authenticate the requests: basic auth (User, Password) or an
// API key (Elasticsearch's "encoded" form, sent as "Authorization: ApiKey
// KEY"), not both.
type Credentials struct {
	User, Password string
	APIKey         string
}

func (c Credentials) header() string {
	switch {
	case c.APIKey != "":
		return "ApiKey " + c.APIKey
	case c.User != "":
		return "Basic " + base64.StdEncoding.EncodeToString([]byte(c.User+":"+c.Password))
	}
	return ""
}

// LoadCredentials reads the credentials: the user name from user or
// $CORDON_EXPORT_USER, its password from passwordFile or
// $CORDON_EXPORT_PASSWORD; or an API key from apiKeyFile or
// $CORDON_EXPORT_API_KEY. A file's trailing newline is dropped.
func LoadCredentials(user, passwordFile, apiKeyFile string, getenv func(string) string) (Credentials, error) {
	var c Credentials
	c.User = user
	if c.User == "" {
		c.User = getenv(EnvUser)
	}
	var err error
	if passwordFile != "" {
		if c.Password, err = readSecret(passwordFile); err != nil {
			return Credentials{}, fmt.Errorf("password file: %w", err)
		}
	} else {
		c.Password = getenv(EnvPassword)
	}
	if apiKeyFile != "" {
		if c.APIKey, err = readSecret(apiKeyFile); err != nil {
			return Credentials{}, fmt.Errorf("API key file: %w", err)
		}
	} else {
		c.APIKey = getenv(EnvAPIKey)
	}
	switch {
	case c.APIKey != "" && (c.User != "" || c.Password != ""):
		return Credentials{}, errors.New("both an API key and a user or password are given: choose one")
	case c.Password != "" && c.User == "":
		return Credentials{}, fmt.Errorf("a password without a user (--user or $%s)", EnvUser)
	case c.User != "" && c.Password == "":
		return Credentials{}, fmt.Errorf("user %q has no password (--password-file or $%s)", c.User, EnvPassword)
	}
	return c, nil
}

func readSecret(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxSecretFile+1))
	if err != nil {
		return "", err
	}
	if len(data) > maxSecretFile {
		return "", fmt.Errorf("%s: larger than %d bytes", path, maxSecretFile)
	}
	data = bytes.TrimRight(data, "\r\n")
	if len(data) == 0 {
		return "", fmt.Errorf("%s: empty", path)
	}
	if bytes.ContainsAny(data, "\r\n") {
		return "", fmt.Errorf("%s: more than one line", path)
	}
	return string(data), nil
}

// CheckURL refuses an engine URL that is not http(s) or that carries
// credentials (they belong in a file or the environment).
func CheckURL(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("engine URL: %w", err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, fmt.Errorf("engine URL %q: want http:// or https://", u.Redacted())
	}
	if u.Host == "" {
		return nil, fmt.Errorf("engine URL %q: no host", u.Redacted())
	}
	if u.User != nil {
		return nil, errors.New("engine URL holds credentials: give the user with --user and the password in a file or the environment, never on the command line")
	}
	if u.Fragment != "" {
		return nil, errors.New("engine URL has a #fragment")
	}
	return u, nil
}

// NewHTTPClient returns the client for the engine: TLS 1.2 or later,
// trusting only the CA certificates in caFile when it is given (the system
// roots otherwise), and timeout per request.
func NewHTTPClient(caFile string, timeout time.Duration) (*http.Client, error) {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig = &tls.Config{MinVersion: tls.VersionTLS12}
	if caFile != "" {
		pem, err := os.ReadFile(caFile)
		if err != nil {
			return nil, fmt.Errorf("CA file: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("CA file %s: no PEM certificate in it", caFile)
		}
		tr.TLSClientConfig.RootCAs = pool
	}
	tr.MaxIdleConnsPerHost = 16
	return &http.Client{Transport: tr, Timeout: timeout}, nil
}
