// Command globals calls host functions the embedder put on the process's
// global object (runGo's `globals` option) through syscall/js.
package main

import (
	"fmt"
	"syscall/js"
)

func main() {
	g := js.Global()

	// A plain host function.
	sum := g.Get("hostAdd").Invoke(2, 40)
	fmt.Println("hostAdd(2, 40) =", sum.Int())

	// A host object with a method.
	greeting := g.Get("host").Call("greet", "gopher")
	fmt.Println("host.greet:", greeting.String())

	// A host function that calls back into Go synchronously.
	var seen []string
	each := js.FuncOf(func(this js.Value, args []js.Value) any {
		seen = append(seen, args[0].String())
		return len(seen)
	})
	count := g.Get("hostEach").Invoke(js.ValueOf([]any{"a", "b", "c"}), each)
	each.Release()
	fmt.Println("hostEach called back", count.Int(), "times with", seen)

	// A host function returning a Promise: Go waits for it without blocking the host.
	done := make(chan string)
	then := js.FuncOf(func(this js.Value, args []js.Value) any {
		done <- args[0].String()
		return nil
	})
	g.Get("hostLater").Invoke("slow value").Call("then", then)
	fmt.Println("hostLater resolved:", <-done)
	then.Release()

	// A host exception is a js.Error on the Go side.
	func() {
		defer func() {
			r := recover()
			if err, ok := r.(js.Error); ok {
				fmt.Println("hostFail threw:", err.Get("message").String())
			} else {
				fmt.Println("hostFail: unexpected", r)
			}
		}()
		g.Call("hostFail")
	}()

	// The global object is the process's own, not the host's.
	fmt.Println("has Deno:", !g.Get("Deno").IsUndefined(), "has Bun:", !g.Get("Bun").IsUndefined())
	fmt.Println("process.argv0:", g.Get("process").Get("argv0").String())
	fmt.Println("ok globals")
}
