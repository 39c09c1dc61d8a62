package hints

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	clocktesting "k8s.io/utils/clock/testing"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
)

// selfSigned writes a certificate for 127.0.0.1 and its key, and returns their paths and
// a pool that trusts the certificate.
func selfSigned(t *testing.T) (certFile, keyFile string, pool *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "fluxscale-hints"},
		IPAddresses:  []net.IP{net.ParseIP("127.0.0.1")},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	certFile, keyFile = filepath.Join(dir, "tls.crt"), filepath.Join(dir, "tls.key")
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	if err := os.WriteFile(certFile, certPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}), 0o600); err != nil {
		t.Fatal(err)
	}
	pool = x509.NewCertPool()
	pool.AppendCertsFromPEM(certPEM)
	return certFile, keyFile, pool
}

func TestServeTLSAndShutdown(t *testing.T) {
	certFile, keyFile, pool := selfSigned(t)
	clk := clocktesting.NewFakeClock(t0)
	// Instrument sees every request Serve serves (the controller counts them for alerts).
	instrumented := make(chan string, 1)
	instrument := func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			instrumented <- r.URL.Path
			next.ServeHTTP(w, r)
		})
	}
	srv := NewServer(NewStore(clk, StoreOptions{}), fake.NewClientBuilder().Build(), newFakeReviewer(), clk,
		Options{CertFile: certFile, KeyFile: keyFile, Instrument: instrument})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ctx, ln) }()

	hc := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	resp, err := hc.Get("https://" + ln.Addr().String() + hintsPath)
	if err != nil {
		t.Fatalf("GET over TLS: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("status %d, want 401 (no token)", resp.StatusCode)
	}
	select {
	case path := <-instrumented:
		if path != hintsPath {
			t.Errorf("Instrument saw %q, want %q", path, hintsPath)
		}
	default:
		t.Error("the request did not go through Options.Instrument")
	}

	cancel()
	select {
	case err := <-served:
		if err != nil {
			t.Errorf("Serve after cancel: %v", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("Serve did not return after its context ended")
	}
}

func TestStartReportsListenErrors(t *testing.T) {
	clk := clocktesting.NewFakeClock(t0)
	srv := NewServer(NewStore(clk, StoreOptions{}), fake.NewClientBuilder().Build(), newFakeReviewer(), clk, Options{Addr: "256.0.0.1:x"})
	err := srv.Start(t.Context())
	if err == nil || !strings.Contains(err.Error(), "listening for hints on 256.0.0.1:x") {
		t.Errorf("Start error = %v, want one naming the address", err)
	}
	if !srv.NeedLeaderElection() {
		t.Error("the hint server must run only on the leader: hints live in its memory")
	}
}
