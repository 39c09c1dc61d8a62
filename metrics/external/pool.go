// Package external reads KEDA external scalers (metrics/external/externalscaler) for the
// External policy type. It only fetches numbers; policy turns them into a size.
package external

import (
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"sync"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
)

// TLS is how to reach a scaler over TLS: the server is verified against CA, and Cert/Key,
// when both are set, are the client's certificate for mutual TLS. All PEM.
type TLS struct {
	CA, Cert, Key []byte
	// ServerName overrides the name checked in the server's certificate (default: the
	// address's host).
	ServerName string
}

// Pool keeps one gRPC connection per address and TLS settings, shared by every policy that
// names the same scaler, so a pass does not dial again. It is safe for concurrent use.
type Pool struct {
	mu    sync.Mutex
	conns map[string]*grpc.ClientConn
}

// NewPool returns an empty pool; Close it when done.
func NewPool() *Pool {
	return &Pool{conns: map[string]*grpc.ClientConn{}}
}

// conn returns the pool's connection for address and t, creating it (without dialing: gRPC
// connects lazily and reconnects on its own) the first time.
func (p *Pool) conn(address string, t *TLS) (*grpc.ClientConn, error) {
	key := poolKey(address, t)
	p.mu.Lock()
	defer p.mu.Unlock()
	if c, ok := p.conns[key]; ok {
		return c, nil
	}
	creds, err := transportCredentials(t)
	if err != nil {
		return nil, err
	}
	c, err := grpc.NewClient(address, grpc.WithTransportCredentials(creds))
	if err != nil {
		return nil, fmt.Errorf("scaler address %q: %w", address, err)
	}
	p.conns[key] = c
	return c, nil
}

// Close closes every connection; the pool is empty afterwards and may be used again.
func (p *Pool) Close() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	var errs []error
	for k, c := range p.conns {
		errs = append(errs, c.Close())
		delete(p.conns, k)
	}
	return errors.Join(errs...)
}

// poolKey tells connections apart by address and by the exact TLS material, so a renewed
// certificate gets a new connection instead of the old one.
func poolKey(address string, t *TLS) string {
	if t == nil {
		return "plain " + address
	}
	h := sha256.New()
	for _, b := range [][]byte{t.CA, t.Cert, t.Key, []byte(t.ServerName)} {
		fmt.Fprintf(h, "%d:", len(b))
		h.Write(b)
	}
	return fmt.Sprintf("tls %s %x", address, h.Sum(nil))
}

func transportCredentials(t *TLS) (credentials.TransportCredentials, error) {
	if t == nil {
		return insecure.NewCredentials(), nil
	}
	cfg := &tls.Config{MinVersion: tls.VersionTLS12, ServerName: t.ServerName}
	if len(t.CA) > 0 {
		roots := x509.NewCertPool()
		if !roots.AppendCertsFromPEM(t.CA) {
			return nil, errors.New("ca.crt holds no PEM certificate: put the CA that signed the scaler's certificate there")
		}
		cfg.RootCAs = roots
	}
	if len(t.Cert) > 0 || len(t.Key) > 0 {
		pair, err := tls.X509KeyPair(t.Cert, t.Key)
		if err != nil {
			return nil, fmt.Errorf("client certificate (tls.crt, tls.key): %w", err)
		}
		cfg.Certificates = []tls.Certificate{pair}
	}
	return credentials.NewTLS(cfg), nil
}
