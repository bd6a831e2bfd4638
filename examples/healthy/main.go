// Command healthy is a control: it allocates a lot per request and drops it,
// and remembers only the last few results, so its live heap stays bounded
// while alloc_space grows fast. The churn site is main.handleRequest; the
// bounded live data comes from main.remember.
package main

import (
	"heapwatch/examples/internal/harness"
)

const (
	scratchSize = 16 << 10
	keep        = 256
)

type result struct {
	id      int
	summary []byte
}

// recent is a fixed ring; old results are overwritten, not accumulated.
var (
	recent [keep]*result
	served int
)

//go:noinline
func remember(id int, sum byte) {
	r := &result{id: id, summary: make([]byte, 64)}
	for i := range r.summary {
		r.summary[i] = sum
	}
	recent[id%keep] = r
}

//go:noinline
func handleRequest() {
	served++
	// A size known only at run time keeps the buffer off the stack.
	scratch := make([]byte, scratchSize+served%512)
	var sum byte
	for i := range scratch {
		scratch[i] = byte(i * served)
		sum += scratch[i]
	}
	remember(served, sum)
}

func main() {
	h := harness.Init(2000, "requests per second (each allocates about 16 KiB of garbage)")
	h.Listen()
	h.Run(handleRequest)
}
