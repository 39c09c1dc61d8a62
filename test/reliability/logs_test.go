package reliability

import (
	"strings"
	"sync"
	"time"
)

// lockedLog collects the manager's log lines.
type lockedLog struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedLog) write(prefix, args string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.b.WriteString(time.Now().Format("15:04:05.000 "))
	l.b.WriteString(prefix)
	l.b.WriteString(" ")
	l.b.WriteString(args)
	l.b.WriteString("\n")
}

func (l *lockedLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
