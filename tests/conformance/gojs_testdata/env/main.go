// Command env prints what a gojs process sees of its environment.
package main

import (
	"crypto/rand"
	"fmt"
	"os"
	"syscall"
)

func main() {
	fmt.Println("args", os.Args)
	fmt.Println("env", os.Environ())
	wd, err := os.Getwd()
	fmt.Println("wd", wd, err)
	fmt.Println("pid", os.Getpid(), "ppid", os.Getppid(), "uid", os.Getuid(), "gid", os.Getgid())
	old := syscall.Umask(0o077)
	fmt.Printf("umask %03o\n", old)
	f, err := os.Create("/tmp/masked")
	if err == nil {
		st, _ := f.Stat()
		fmt.Println("created with", st.Mode())
		f.Close()
	}
	b := make([]byte, 8)
	rand.Read(b)
	fmt.Printf("random %x\n", b)
	println("to stderr via println")
	fmt.Println("ok env")
}
