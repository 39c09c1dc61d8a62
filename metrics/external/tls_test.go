package external

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
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"

	"github.com/fluxscale/fluxscale/test/scaler"
)

// pair is a PEM certificate and key.
type pair struct{ cert, key []byte }

// issue makes a certificate for name, signed by ca (self-signed when ca is nil).
func issue(t *testing.T, name string, ca *x509.Certificate, caKey *ecdsa.PrivateKey) (pair, *x509.Certificate, *ecdsa.PrivateKey) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()),
		Subject:      pkix.Name{CommonName: name},
		DNSNames:     []string{name},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
	}
	parent, signer := tmpl, key
	if ca == nil {
		tmpl.IsCA, tmpl.BasicConstraintsValid = true, true
	} else {
		parent, signer = ca, caKey
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, &key.PublicKey, signer)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return pair{
		cert: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		key:  pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}),
	}, cert, key
}

// TestReadMutualTLS serves the scaler with a server certificate and requires a client
// certificate from the same CA, as a scaler behind cert-manager would.
func TestReadMutualTLS(t *testing.T) {
	caPEM, ca, caKey := issue(t, "test-ca", nil, nil)
	server, _, _ := issue(t, "scaler.test", ca, caKey)
	client, _, _ := issue(t, "fluxscale", ca, caKey)

	serverPair, err := tls.X509KeyPair(server.cert, server.key)
	if err != nil {
		t.Fatal(err)
	}
	clients := x509.NewCertPool()
	clients.AddCert(ca)
	g := grpc.NewServer(grpc.Creds(credentials.NewTLS(&tls.Config{
		Certificates: []tls.Certificate{serverPair},
		ClientAuth:   tls.RequireAndVerifyClientCert,
		ClientCAs:    clients,
		MinVersion:   tls.VersionTLS12,
	})))
	scaler.New("backlog", 1, 4).ServeGRPC(g)
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = g.Serve(lis) }()
	t.Cleanup(g.Stop)
	addr := lis.Addr().String()

	cases := map[string]struct {
		tls     *TLS
		wantErr bool
	}{
		"mutual TLS":            {tls: &TLS{CA: caPEM.cert, Cert: client.cert, Key: client.key, ServerName: "scaler.test"}},
		"no client certificate": {tls: &TLS{CA: caPEM.cert, ServerName: "scaler.test"}, wantErr: true},
		"wrong server name":     {tls: &TLS{CA: caPEM.cert, Cert: client.cert, Key: client.key, ServerName: "other.test"}, wantErr: true},
		"plain":                 {wantErr: true},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			r, err := newPool(t).Read(context.Background(), Scaler{Address: addr, TLS: tc.tls, Timeout: 5 * time.Second})
			if tc.wantErr {
				if err == nil {
					t.Fatalf("Read succeeded (%+v), want an error", r)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !r.Active || len(r.Metrics) != 1 || r.Metrics[0].Value != 4 {
				t.Errorf("Read = %+v, want active with backlog 4", r)
			}
		})
	}
}

func TestBadCA(t *testing.T) {
	_, err := newPool(t).Read(context.Background(), Scaler{Address: "127.0.0.1:1", TLS: &TLS{CA: []byte("not pem")}})
	if err == nil {
		t.Fatal("Read with a CA that is not PEM succeeded, want an error")
	}
}
