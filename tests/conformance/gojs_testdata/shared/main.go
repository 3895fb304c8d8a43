// Command shared is run twice at once on one kernel ("ping" and "pong"): each
// works in its own directory, and they pass files to each other through a
// shared one. Each also reports the fd its first open file gets.
package main

import (
	"fmt"
	"os"
	"path/filepath"
	"time"
)

func waitFor(path string) string {
	for i := 0; i < 5000; i++ {
		if b, err := os.ReadFile(path); err == nil {
			return string(b)
		}
		time.Sleep(time.Millisecond)
	}
	return "(timed out)"
}

func main() {
	role, shared := os.Args[1], os.Args[2]
	wd, _ := os.Getwd()
	f, err := os.Create("own.txt")
	if err != nil {
		panic(err)
	}
	fmt.Fprintf(f, "%s was here", role)
	fmt.Printf("%s: cwd %s, first fd %d\n", role, wd, f.Fd())
	other := "pong"
	if role == "pong" {
		other = "ping"
	}
	if role == "ping" {
		os.WriteFile(filepath.Join(shared, "ping.txt"), []byte("ping says hi"), 0o644)
		fmt.Printf("%s: read %q\n", role, waitFor(filepath.Join(shared, "pong.txt")))
	} else {
		fmt.Printf("%s: read %q\n", role, waitFor(filepath.Join(shared, "ping.txt")))
		os.WriteFile(filepath.Join(shared, "pong.txt"), []byte("pong answers"), 0o644)
	}
	f.Close()
	b, err := os.ReadFile(filepath.Join("..", other, "own.txt"))
	fmt.Printf("%s: other's own.txt %q %v\n", role, b, err)
	fmt.Printf("ok %s\n", role)
}
