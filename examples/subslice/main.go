// Command subslice keeps a 16-byte header of every packet it reads, as a
// sub-slice of the freshly allocated 64 KiB packet buffer, so each header pins
// its whole packet. The leak site is main.keepHeader.
package main

import (
	"heapwatch/examples/internal/harness"
)

const (
	packetSize = 64 << 10
	headerSize = 16
)

// headers only means to hold 16 bytes per packet.
var headers [][]byte

var seq int

//go:noinline
func readPacket(buf []byte, n int) {
	for i := range buf {
		buf[i] = byte(n + i)
	}
}

// keepHeader reads a packet into a new buffer and returns its header; the
// fix would be to copy the header out.
//
//go:noinline
func keepHeader() []byte {
	seq++
	packet := make([]byte, packetSize)
	readPacket(packet, seq)
	return packet[:headerSize]
}

func main() {
	h := harness.Init(20, "packets per second (each pins 64 KiB)")
	h.Listen()
	h.Run(func() { headers = append(headers, keepHeader()) })
}
