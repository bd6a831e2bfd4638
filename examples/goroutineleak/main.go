// Command goroutineleak starts a worker per job that sends its result on an
// unbuffered channel; the caller has already given up and nobody receives, so
// every worker blocks forever and keeps its buffer. The leak site is
// main.leakyWorker; the goroutines themselves show up as runtime.malg, and
// their stacks not at all, since heap profiles do not cover stack memory.
package main

import (
	"heapwatch/examples/internal/harness"
)

const resultSize = 8192

//go:noinline
func leakyWorker(id int, results chan<- []byte) {
	buf := make([]byte, resultSize)
	for i := range buf {
		buf[i] = byte(id + i)
	}
	results <- buf // blocks forever: nobody receives
}

var jobs int

// startJob hands work to a goroutine and forgets the channel, as a caller
// that timed out would.
//
//go:noinline
func startJob() {
	jobs++
	results := make(chan []byte)
	go leakyWorker(jobs, results)
}

func main() {
	h := harness.Init(128, "jobs per second (each leaks a goroutine and 8 KiB)")
	h.Listen()
	h.Run(startJob)
}
