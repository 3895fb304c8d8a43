// The Go (GOOS=js GOARCH=wasm) program of the browser demo. It runs in the
// vkernel worker with the OPFS mount at /data, and leaves there a file with a
// mode of its own, a symbolic link and a hard link, plus a log that grows by
// one line each run.
package main

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"time"
)

func must(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, "demo-go:", err)
		os.Exit(1)
	}
}

func main() {
	base := "/data/go"
	must(os.MkdirAll(base, 0o755))

	hello := filepath.Join(base, "hello.txt")
	must(os.WriteFile(hello, []byte(fmt.Sprintf("hello from Go %s on %s/%s\n", runtime.Version(), runtime.GOOS, runtime.GOARCH)), 0o644))
	must(os.Chmod(hello, 0o600))

	latest := filepath.Join(base, "latest")
	_ = os.Remove(latest)
	must(os.Symlink("hello.txt", latest))

	hard := filepath.Join(base, "hello.hardlink")
	_ = os.Remove(hard)
	must(os.Link(hello, hard))

	log, err := os.OpenFile(filepath.Join(base, "runs.log"), os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	must(err)
	_, err = fmt.Fprintf(log, "go run at %s\n", time.Now().UTC().Format(time.RFC3339Nano))
	must(err)
	must(log.Close())

	text, err := os.ReadFile(latest)
	must(err)
	fmt.Printf("read through the symlink: %s", text)

	entries, err := os.ReadDir(base)
	must(err)
	for _, entry := range entries {
		info, err := entry.Info()
		must(err)
		fmt.Printf("%s %6d %s\n", info.Mode(), info.Size(), entry.Name())
	}
}
