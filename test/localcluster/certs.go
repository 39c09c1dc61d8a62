package localcluster

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"time"
)

// pki holds the throwaway credentials of one cluster. A single CA signs the apiserver serving
// cert and the admin client cert: nothing here outlives the test, so one trust root is enough.
type pki struct {
	caCert    []byte // PEM
	adminCert []byte // PEM, O=system:masters
	adminKey  []byte // PEM

	caFile, servingCertFile, servingKeyFile string
	kwokCertFile, kwokKeyFile               string
	saKeyFile, saPubFile                    string
}

// newPKI writes every key and certificate the control plane needs into dir.
func newPKI(dir string) (*pki, error) {
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	caTmpl := &x509.Certificate{
		Subject:               pkix.Name{CommonName: "fluxscale-localcluster-ca"},
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
	}
	caDER, err := sign(caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		return nil, fmt.Errorf("ca cert: %w", err)
	}
	caCert, err := x509.ParseCertificate(caDER)
	if err != nil {
		return nil, err
	}

	p := &pki{
		caCert:          pemBlock("CERTIFICATE", caDER),
		caFile:          filepath.Join(dir, "ca.crt"),
		servingCertFile: filepath.Join(dir, "apiserver.crt"),
		servingKeyFile:  filepath.Join(dir, "apiserver.key"),
		kwokCertFile:    filepath.Join(dir, "kwok.crt"),
		kwokKeyFile:     filepath.Join(dir, "kwok.key"),
		saKeyFile:       filepath.Join(dir, "sa.key"),
		saPubFile:       filepath.Join(dir, "sa.pub"),
	}
	if err := os.WriteFile(p.caFile, p.caCert, 0o600); err != nil {
		return nil, err
	}

	// The apiserver is reached as 127.0.0.1 from tests and as the in-cluster service name
	// from anything that reads the kubernetes Service.
	serving := &x509.Certificate{
		Subject:     pkix.Name{CommonName: "kube-apiserver"},
		DNSNames:    []string{"localhost", "kubernetes", "kubernetes.default", "kubernetes.default.svc"},
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1"), net.ParseIP("10.0.0.1")},
		KeyUsage:    x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	if _, _, err := leaf(serving, caCert, caKey, p.servingCertFile, p.servingKeyFile); err != nil {
		return nil, fmt.Errorf("serving cert: %w", err)
	}

	// The apiserver does not verify kubelet serving certs unless told to, so kwok's fake
	// kubelet endpoint only needs some valid pair.
	kwokTmpl := &x509.Certificate{
		Subject:     pkix.Name{CommonName: "kwok"},
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")},
		KeyUsage:    x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	if _, _, err := leaf(kwokTmpl, caCert, caKey, p.kwokCertFile, p.kwokKeyFile); err != nil {
		return nil, fmt.Errorf("kwok cert: %w", err)
	}

	admin := &x509.Certificate{
		Subject:     pkix.Name{CommonName: "fluxscale-admin", Organization: []string{"system:masters"}},
		KeyUsage:    x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}
	p.adminCert, p.adminKey, err = leaf(admin, caCert, caKey, "", "")
	if err != nil {
		return nil, fmt.Errorf("admin cert: %w", err)
	}

	// Service-account tokens are signed with RSA, the key type every Kubernetes component
	// and client library accepts.
	saKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, err
	}
	pubDER, err := x509.MarshalPKIXPublicKey(&saKey.PublicKey)
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(p.saKeyFile, pemBlock("RSA PRIVATE KEY", x509.MarshalPKCS1PrivateKey(saKey)), 0o600); err != nil {
		return nil, err
	}
	if err := os.WriteFile(p.saPubFile, pemBlock("PUBLIC KEY", pubDER), 0o600); err != nil {
		return nil, err
	}
	return p, nil
}

// leaf creates a key and a cert signed by the CA; it writes them when file names are given
// and returns both as PEM.
func leaf(tmpl, ca *x509.Certificate, caKey crypto.Signer, certFile, keyFile string) (certPEM, keyPEM []byte, err error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	der, err := sign(tmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		return nil, nil, err
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, nil, err
	}
	certPEM, keyPEM = pemBlock("CERTIFICATE", der), pemBlock("PRIVATE KEY", keyDER)
	if certFile != "" {
		if err := os.WriteFile(certFile, certPEM, 0o600); err != nil {
			return nil, nil, err
		}
		if err := os.WriteFile(keyFile, keyPEM, 0o600); err != nil {
			return nil, nil, err
		}
	}
	return certPEM, keyPEM, nil
}

func sign(tmpl, parent *x509.Certificate, pub crypto.PublicKey, signer crypto.Signer) ([]byte, error) {
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 62))
	if err != nil {
		return nil, err
	}
	tmpl.SerialNumber = serial
	// Backdated so small clock differences between processes never matter.
	tmpl.NotBefore = time.Now().Add(-time.Hour)
	tmpl.NotAfter = time.Now().Add(24 * time.Hour)
	return x509.CreateCertificate(rand.Reader, tmpl, parent, pub, signer)
}

func pemBlock(typ string, der []byte) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der})
}
