// Command sleeper sleeps a long time in total; on a deterministic kernel it
// must take no real time.
package main

import (
	"fmt"
	"time"
)

func main() {
	start := time.Now()
	wall := start.UTC().Format(time.RFC3339)
	timer := time.NewTimer(90 * time.Minute)
	ticks := 0
	ticker := time.NewTicker(time.Minute)
	for ticks < 30 {
		<-ticker.C
		ticks++
	}
	ticker.Stop()
	time.Sleep(10 * time.Minute)
	<-timer.C
	elapsed := time.Since(start)
	fmt.Println("start", wall)
	fmt.Println("ticks", ticks)
	fmt.Println("elapsed", elapsed.Round(time.Millisecond))
	fmt.Println("now", time.Now().UTC().Format(time.RFC3339))
	_, offset := time.Now().Zone()
	fmt.Println("zone offset", offset)
	fmt.Println("ok sleeper")
}
