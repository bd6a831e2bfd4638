// Command unboundedmap leaks through a package-level map that records every
// request and is never pruned. The leak site is main.recordRequest: the entry's
// body, its key and the map's own growth are all allocated there.
package main

import (
	"strconv"

	"heapwatch/examples/internal/harness"
)

const bodySize = 1024

// requests grows by one entry per request, forever.
var requests = map[string][]byte{}

var nextID int

//go:noinline
func recordRequest(id int, payload []byte) {
	key := string(strconv.AppendInt([]byte("req-"), int64(id), 10))
	// Not make([]byte, len(payload)) + copy: Go compiles that pair into
	// runtime.makeslicecopy, whose heap-profile stacks lose this frame.
	body := make([]byte, bodySize)
	copy(body, payload)
	requests[key] = body
}

// handleRequest builds a payload (on the stack: it does not escape) and records it.
//
//go:noinline
func handleRequest() {
	nextID++
	payload := make([]byte, bodySize)
	for i := range payload {
		payload[i] = byte(nextID + i)
	}
	recordRequest(nextID, payload)
}

func main() {
	h := harness.Init(1000, "requests per second (each leaks about 1.1 KiB)")
	h.Listen()
	h.Run(handleRequest)
}
