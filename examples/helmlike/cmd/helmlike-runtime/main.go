package main

import (
	"github.com/mixbox/mixbox/examples/helmlike"
	"github.com/mixbox/mixbox/wasmabi/guest"
)

func main() { guest.Main(helmlike.Name, helmlike.Run) }
