package localcluster

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

const (
	serviceAccountIssuer = "https://kubernetes.default.svc"
	serviceCIDR          = "10.0.0.0/24"
)

func (c *Cluster) start(name, bin string, env []string, args ...string) (*process, error) {
	p, err := startProcess(name, bin, c.dir, filepath.Join(c.logDir, name+".log"), env, args...)
	if err != nil {
		return nil, err
	}
	c.procs = append(c.procs, p)
	return p, nil
}

func (c *Cluster) startEtcd(ctx context.Context, bin string, port, peerPort int) error {
	client, peer := "http://"+hostPort(port), "http://"+hostPort(peerPort)
	p, err := c.start("etcd", bin, nil,
		"--name=default",
		"--data-dir="+filepath.Join(c.dir, "etcd"),
		"--listen-client-urls="+client,
		"--advertise-client-urls="+client,
		"--listen-peer-urls="+peer,
		"--initial-advertise-peer-urls="+peer,
		"--initial-cluster=default="+peer,
		// Test data is throwaway; fsync dominates etcd latency on shared CI disks.
		"--unsafe-no-fsync=true",
		"--log-level=warn",
	)
	if err != nil {
		return err
	}
	err = c.poll(ctx, time.Minute, func(ctx context.Context) (bool, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, client+"/health", nil)
		if err != nil {
			return false, err
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return false, err
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK, nil
	})
	if err != nil {
		return p.withLog(fmt.Errorf("waiting for etcd health: %w", err))
	}
	return nil
}

func (c *Cluster) startAPIServer(ctx context.Context, bin string, certs *pki, port, etcdPort int) error {
	p, err := c.start("kube-apiserver", bin, nil,
		"--etcd-servers=http://"+hostPort(etcdPort),
		"--bind-address=127.0.0.1",
		"--advertise-address=127.0.0.1",
		// The default lease reconciler refuses a loopback advertise address ("may not be in
		// the loopback range"); nothing here needs the kubernetes Service's endpoints.
		"--endpoint-reconciler-type=none",
		fmt.Sprintf("--secure-port=%d", port),
		"--cert-dir="+filepath.Join(c.dir, "apiserver-certs"),
		"--tls-cert-file="+certs.servingCertFile,
		"--tls-private-key-file="+certs.servingKeyFile,
		"--client-ca-file="+certs.caFile,
		"--authorization-mode=RBAC",
		"--service-account-issuer="+serviceAccountIssuer,
		"--api-audiences="+serviceAccountIssuer,
		"--service-account-key-file="+certs.saPubFile,
		"--service-account-signing-key-file="+certs.saKeyFile,
		"--service-cluster-ip-range="+serviceCIDR,
		"--allow-privileged=true",
		// kwok nodes also report their name as a Hostname address, which does not resolve;
		// pods/exec must go to the loopback InternalIP kwok listens on.
		"--kubelet-preferred-address-types=InternalIP",
	)
	if err != nil {
		return err
	}
	c.config = &rest.Config{
		Host: "https://" + hostPort(port),
		TLSClientConfig: rest.TLSClientConfig{
			CAData:   certs.caCert,
			CertData: certs.adminCert,
			KeyData:  certs.adminKey,
		},
		// Tests create objects in bursts; the client-go default (5 QPS) would only slow them.
		QPS:   100,
		Burst: 200,
	}
	if c.client, err = kubernetes.NewForConfig(c.config); err != nil {
		return fmt.Errorf("creating client: %w", err)
	}
	if c.kubeconfig, err = writeKubeconfig(filepath.Join(c.dir, "admin.kubeconfig"), c.config); err != nil {
		return err
	}
	err = c.poll(ctx, 2*time.Minute, func(ctx context.Context) (bool, error) {
		_, err := c.client.Discovery().RESTClient().Get().AbsPath("/readyz").DoRaw(ctx)
		return err == nil, err
	})
	if err != nil {
		return p.withLog(fmt.Errorf("waiting for /readyz: %w", err))
	}
	return nil
}

func (c *Cluster) startControllerManager(bin string, certs *pki) (*process, error) {
	return c.start("kube-controller-manager", bin, nil,
		"--kubeconfig="+c.kubeconfig,
		"--authentication-kubeconfig="+c.kubeconfig,
		"--authorization-kubeconfig="+c.kubeconfig,
		// Only what Jobs, garbage collection, namespace deletion and ServiceAccounts need.
		"--controllers=job-controller,garbage-collector-controller,namespace-controller,serviceaccount-controller,serviceaccount-token-controller",
		"--use-service-account-credentials=false",
		"--service-account-private-key-file="+certs.saKeyFile,
		"--root-ca-file="+certs.caFile,
		"--leader-elect=false",
		// No HTTPS serving: nothing reads the controller manager's health port, and a port
		// reserved earlier was taken by another test process before it bound it (seen
		// under load: "bind: address already in use").
		"--secure-port=0",
	)
}

func (c *Cluster) startKwok(bin, stagesDir string, certs *pki, port int, opts Options) (*process, error) {
	workDir := opts.ExecWorkDir
	if workDir == "" {
		workDir = c.dir
	}
	execConfig := filepath.Join(c.dir, "kwok-exec.yaml")
	if err := writeClusterExec(execConfig, workDir, opts.ExecEnv); err != nil {
		return nil, err
	}
	configs := []string{execConfig}
	for _, stage := range []string{"node-initialize", "pod-ready", "pod-delete"} {
		configs = append(configs, filepath.Join(stagesDir, stage+".yaml"))
	}
	// kwok looks the exec'd command up in its own PATH, so it gets the exec envs too.
	env := os.Environ()
	for _, k := range sortedKeys(opts.ExecEnv) {
		env = append(env, k+"="+opts.ExecEnv[k])
	}
	args := []string{
		"--kubeconfig=" + c.kubeconfig,
		"--manage-all-nodes=false",
		"--manage-nodes-with-annotation-selector=" + NodeAnnotation + "=fake",
		"--config=" + strings.Join(configs, ","),
		"--node-ip=127.0.0.1",
		fmt.Sprintf("--node-port=%d", port),
		// Without this kwok serves on 0.0.0.0.
		"--server-address=" + hostPort(port),
		"--tls-cert-file=" + certs.kwokCertFile,
		"--tls-private-key-file=" + certs.kwokKeyFile,
		// Pod IPs; kwok's default would overlap the service range.
		"--cidr=10.0.1.0/24",
	}
	if m := opts.ExecMount; m.Source != "" {
		// The mount is made in a namespace of kwok's own, then kwok replaces the shell: its
		// exec'd commands inherit the namespace, nothing else on the host sees the mount.
		unshare, err := exec.LookPath("unshare")
		if err != nil {
			return nil, fmt.Errorf("ExecMount needs unshare(1) from util-linux: %w", err)
		}
		script := `mkdir -p "$1" && mount --bind "$2" "$1" && shift 2 && exec "$@"`
		args = append([]string{"-m", "--propagation", "private", "sh", "-c", script, "sh", m.Target, m.Source, bin}, args...)
		bin = unshare
	}
	return c.start("kwok", bin, env, args...)
}

// writeClusterExec writes the kwok ClusterExec that runs every pods/exec locally. JSON is
// valid YAML, and the file must hold no KwokConfiguration document: one would reset the
// options given as flags.
func writeClusterExec(path, workDir string, env map[string]string) error {
	type envVar struct {
		Name  string `json:"name"`
		Value string `json:"value"`
	}
	envs := []envVar{}
	for _, k := range sortedKeys(env) {
		envs = append(envs, envVar{Name: k, Value: env[k]})
	}
	doc := map[string]any{
		"apiVersion": "kwok.x-k8s.io/v1alpha1",
		"kind":       "ClusterExec",
		"metadata":   map[string]any{"name": "local"},
		"spec": map[string]any{
			"execs": []any{map[string]any{"local": map[string]any{"workDir": workDir, "envs": envs}}},
		},
	}
	data, err := json.Marshal(doc)
	if err != nil {
		return err
	}
	if err := os.WriteFile(path, data, 0o600); err != nil {
		return fmt.Errorf("writing kwok exec config: %w", err)
	}
	return nil
}

func writeKubeconfig(path string, cfg *rest.Config) (string, error) {
	kc := clientcmdapi.NewConfig()
	kc.Clusters["local"] = &clientcmdapi.Cluster{Server: cfg.Host, CertificateAuthorityData: cfg.CAData}
	kc.AuthInfos["admin"] = &clientcmdapi.AuthInfo{ClientCertificateData: cfg.CertData, ClientKeyData: cfg.KeyData}
	kc.Contexts["local"] = &clientcmdapi.Context{Cluster: "local", AuthInfo: "admin"}
	kc.CurrentContext = "local"
	if err := clientcmd.WriteToFile(*kc, path); err != nil {
		return "", fmt.Errorf("writing kubeconfig: %w", err)
	}
	return path, nil
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
