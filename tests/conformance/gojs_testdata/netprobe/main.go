// Command netprobe fetches each URL argument with http.Get and prints the
// status and body, or the error.
package main

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"syscall/js"
)

func main() {
	fmt.Println("fetch present:", js.Global().Get("fetch").Type() == js.TypeFunction)
	for _, url := range os.Args[1:] {
		resp, err := http.Get(url)
		if err != nil {
			fmt.Printf("%s: error: %v\n", url, err)
			continue
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		fmt.Printf("%s: %d %q\n", url, resp.StatusCode, body)
	}
	fmt.Println("ok netprobe")
}
