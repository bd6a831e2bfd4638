// Command nocache leaks through a cache without eviction whose keys are never
// repeated (they embed a timestamp), so every Get misses and every Put adds an
// entry that is never read again. The leak site is main.(*Cache).Put.
package main

import (
	"strconv"
	"sync"
	"time"

	"heapwatch/examples/internal/harness"
)

const valueSize = 2048

type entry struct {
	key     string
	value   []byte
	created time.Time
}

// Cache maps keys to entries and never evicts.
type Cache struct {
	mu    sync.Mutex
	items map[string]*entry
}

func NewCache() *Cache {
	return &Cache{items: make(map[string]*entry)}
}

func (c *Cache) Get(key string) ([]byte, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.items[key]
	if !ok {
		return nil, false
	}
	return e.value, true
}

// Put stores a copy of value under key.
//
//go:noinline
func (c *Cache) Put(key string, value []byte) {
	e := &entry{key: key, value: make([]byte, len(value)), created: time.Now()}
	copy(e.value, value)
	c.mu.Lock()
	c.items[key] = e
	c.mu.Unlock()
}

var (
	cache = NewCache()
	user  int
)

// render produces a response (garbage after the call) for an ever-new key.
//
//go:noinline
func render() {
	user++
	key := "user/" + strconv.Itoa(user%1000) + "?ts=" + strconv.FormatInt(time.Now().UnixNano(), 10)
	if _, ok := cache.Get(key); ok {
		return
	}
	page := make([]byte, valueSize)
	for i := range page {
		page[i] = byte(i + user)
	}
	cache.Put(key, page)
}

func main() {
	h := harness.Init(500, "renders per second (each leaks about 2.2 KiB)")
	h.Listen()
	h.Run(render)
}
