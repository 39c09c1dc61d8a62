package ctrltest

import (
	"strings"
	"sync"
	"time"
)

// Log collects a manager's log lines, each stamped with the wall time; it is safe for
// concurrent use.
type Log struct {
	mu sync.Mutex
	b  strings.Builder
}

// Write appends one line; it has the signature of funcr's output function.
func (l *Log) Write(prefix, args string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.b.WriteString(time.Now().Format("15:04:05.000 "))
	l.b.WriteString(prefix)
	l.b.WriteString(" ")
	l.b.WriteString(args)
	l.b.WriteString("\n")
}

// String returns the lines written so far.
func (l *Log) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
