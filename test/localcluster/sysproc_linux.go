package localcluster

import "syscall"

// Pdeathsig kills the control plane if the test binary dies without calling Stop (e.g. a
// panic or go test's timeout), so no etcd or apiserver outlives its test.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}
