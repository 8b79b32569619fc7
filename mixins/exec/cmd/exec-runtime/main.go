package main

import (
	"github.com/mixbox/mixbox/mixins/exec"
	"github.com/mixbox/mixbox/wasmabi/guest"
)

func main() { guest.Main(exec.Name, exec.Run) }
