package host_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/mixbox/mixbox/host"
)

// Build the invocation image of a bundle; a bad option is an ErrUsage that
// names the culprit, before anything is read or written.
func ExampleBuild() {
	digest, err := host.Build(context.Background(), host.BuildOptions{
		Dir:       "../examples/hello/bundle",
		Base:      "oci:busybox-base", // scripts/busybox-base.sh busybox-base
		Platforms: []string{"linux/amd64", "linux/amd65"},
		Output:    "oci:hello-image",
	})
	if err != nil {
		fmt.Println(errors.Is(err, host.ErrUsage), err)
		fmt.Println("hint:", host.Hint(err) != "")
		return
	}
	fmt.Println(digest) // sha256:...
	// Output:
	// true build the image: unknown platform "linux/amd65"
	// hint: true
}
