// Command boundedcache is a control: an LRU cache of at most maxEntries
// entries fed with ever-new keys. It warms up to its bound (about 2.3 MiB,
// reached after maxEntries/rate seconds, 4 s by default) and then stays flat
// because every insert evicts the least recently used entry. The site is
// main.(*LRU).Add.
package main

import (
	"strconv"

	"heapwatch/examples/internal/harness"
)

const (
	maxEntries = 2048
	valueSize  = 1024
)

type node struct {
	key        string
	value      []byte
	prev, next *node
}

// LRU is a map plus an intrusive list, most recent at head.
type LRU struct {
	max        int
	items      map[string]*node
	head, tail *node
}

func NewLRU(max int) *LRU {
	return &LRU{max: max, items: make(map[string]*node, max)}
}

func (c *LRU) unlink(n *node) {
	if n.prev != nil {
		n.prev.next = n.next
	} else {
		c.head = n.next
	}
	if n.next != nil {
		n.next.prev = n.prev
	} else {
		c.tail = n.prev
	}
	n.prev, n.next = nil, nil
}

func (c *LRU) pushFront(n *node) {
	n.next = c.head
	if c.head != nil {
		c.head.prev = n
	}
	c.head = n
	if c.tail == nil {
		c.tail = n
	}
}

func (c *LRU) Get(key string) ([]byte, bool) {
	n, ok := c.items[key]
	if !ok {
		return nil, false
	}
	c.unlink(n)
	c.pushFront(n)
	return n.value, true
}

// Add stores a copy of value, evicting the least recently used entry when full.
//
//go:noinline
func (c *LRU) Add(key string, value []byte) {
	if n, ok := c.items[key]; ok {
		c.unlink(n)
		delete(c.items, key)
	}
	if len(c.items) >= c.max {
		old := c.tail
		c.unlink(old)
		delete(c.items, old.key)
	}
	n := &node{key: key, value: make([]byte, len(value))}
	copy(n.value, value)
	c.items[key] = n
	c.pushFront(n)
}

var (
	cache = NewLRU(maxEntries)
	seq   int
)

//go:noinline
func lookup() {
	seq++
	key := "item-" + strconv.Itoa(seq)
	if _, ok := cache.Get(key); ok {
		return
	}
	v := make([]byte, valueSize)
	for i := range v {
		v[i] = byte(seq + i)
	}
	cache.Add(key, v)
}

func main() {
	h := harness.Init(500, "lookups per second (all misses; the cache holds 2048 entries of 1 KiB)")
	h.Listen()
	h.Run(lookup)
}
