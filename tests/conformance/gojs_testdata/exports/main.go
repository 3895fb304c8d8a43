// Command exports has //go:wasmexport functions the embedder calls while the
// program waits; "stop" lets main return.
package main

import (
	"fmt"
	"os"
)

var stop = make(chan int32)
var calls int

//go:wasmexport add
func add(a, b int32) int32 {
	calls++
	return a + b
}

//go:wasmexport mul64
func mul64(a, b int64) int64 {
	calls++
	// Switch goroutines inside the export.
	ch := make(chan int64)
	go func() { ch <- a * b }()
	return <-ch
}

//go:wasmexport stop
func stopNow(code int32) {
	calls++
	go func() { stop <- code }()
}

func main() {
	fmt.Println("exports ready")
	code := <-stop
	fmt.Println("calls:", calls)
	fmt.Println("ok exports")
	os.Exit(int(code))
}
