package agent

import (
	"bytes"
	"crypto/sha256"
	"crypto/subtle"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
)

// maxTokenFile bounds the token file we read.
const maxTokenFile = 4 << 10

// authorize checks the request's bearer token against the token file and returns
// http.StatusOK, or the status and message to answer with: 401 when the Authorization
// header is missing or not "Bearer <token>", 403 when the token is wrong or drains are
// disabled, 500 when the token file cannot be used.
func (s *Server) authorize(r *http.Request) (int, string) {
	if s.opts.TokenFile == "" {
		return http.StatusForbidden, "drain and undrain are disabled: the agent runs without --token-file"
	}
	header := r.Header.Get("Authorization")
	if header == "" {
		return http.StatusUnauthorized, "missing Authorization header: send Authorization: Bearer <token>"
	}
	scheme, token, found := strings.Cut(header, " ")
	if !found || !strings.EqualFold(scheme, "Bearer") || token == "" || strings.ContainsAny(token, " \t") {
		return http.StatusUnauthorized, "malformed Authorization header: want Bearer <token>"
	}
	want, err := readToken(s.opts.TokenFile)
	if err != nil {
		s.opts.Log.Error(err, "reading the token file")
		return http.StatusInternalServerError, "the agent cannot read its token file; see its log"
	}
	// Hashing first makes the comparison constant-time in the token's length too.
	got, expected := sha256.Sum256([]byte(token)), sha256.Sum256(want)
	if subtle.ConstantTimeCompare(got[:], expected[:]) != 1 {
		return http.StatusForbidden, "wrong bearer token"
	}
	return http.StatusOK, ""
}

// readToken reads the token file, trimmed of surrounding whitespace (a Secret written with
// echo ends in a newline).
func readToken(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxTokenFile+1))
	if err != nil {
		return nil, err
	}
	if len(b) > maxTokenFile {
		return nil, fmt.Errorf("token file %s is larger than %d bytes", path, maxTokenFile)
	}
	token := bytes.TrimSpace(b)
	if len(token) == 0 {
		return nil, fmt.Errorf("token file %s is empty", path)
	}
	return token, nil
}
