// Command tickerleak creates a time.Ticker per request to drive a retry loop
// and never stops it. Up to Go 1.22 the runtime's timer heap keeps a running
// ticker (and its channel) reachable, so each one leaks. The flat site is
// time.NewTicker; the program's frame above it is main.startPoller.
package main

import (
	"time"

	"heapwatch/examples/internal/harness"
)

var started int

// startPoller should return ticker.Stop to its caller, and forgets to.
//
//go:noinline
func startPoller() {
	t := time.NewTicker(time.Hour)
	started++
	_ = t
}

func main() {
	h := harness.Init(5000, "requests per second (each leaks a ticker and its channel, about 200 bytes)")
	h.Listen()
	h.Run(startPoller)
}
