// Package micro holds micro-benchmarks of fluxscale's hot paths, each with its baseline in
// the same run: policy.Decide over queues of 0, 1,000 and 10,000 pending jobs, and the
// agent's GET /v1/state throughput against GET /healthz on the same server. They run only
// with -bench:
//
//	go test -run='^$' -bench=. -benchmem -benchtime=2s ./test/bench/micro
package micro
