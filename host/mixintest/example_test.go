package mixintest_test

import (
	"context"
	"fmt"
	"log"
	"os"

	"github.com/mixbox/mixbox/host/mixintest"
)

// A mixin's own test runs a case against its wasm build: here a tiny guest
// that runs `helm version --short` and sets the output "reply" to what the
// host answered. A case runs under the policy `mixbox run` would give the
// mixin by default; this guest declares no command in its metadata, so the
// case grants helm itself.
func Example() {
	ctx := context.Background()
	bin, err := os.ReadFile("testdata/helmversion.wasm")
	if err != nil {
		log.Fatal(err)
	}
	res, err := mixintest.Run(ctx, bin, mixintest.Case{
		Name:   "helm version",
		Action: "install",
		Policy: &mixintest.Policy{Exec: []mixintest.Grant{{Command: "helm"}}, Mount: true},
		Exec:   []mixintest.Exec{{Command: "helm", Args: []string{"version", "--short"}, Stdout: "v3.14.0\n"}},
		Want:   mixintest.Want{ExitCode: 0, StdoutContains: []string{"v3.14.0"}},
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("passed:", res.Passed())
	fmt.Println("calls:", res.Calls)
	fmt.Println("reply:", res.Outputs["reply"])
	// Output:
	// passed: true
	// calls: [helm [version --short]]
	// reply: {"exit_code":0,"stdout":"v3.14.0\n","stderr":"","stdout_truncated":false,"stderr_truncated":false,"timed_out":false,"duration_ms":0}
}

// A failing case says why, call by call.
func ExampleResult_Failures() {
	ctx := context.Background()
	bin, err := os.ReadFile("testdata/helmversion.wasm")
	if err != nil {
		log.Fatal(err)
	}
	res, err := mixintest.Run(ctx, bin, mixintest.Case{
		Name:   "helm version",
		Action: "install",
		Policy: &mixintest.Policy{Exec: []mixintest.Grant{{Command: "helm"}}, Mount: true},
		Exec:   []mixintest.Exec{{Command: "helm", Args: []string{"version"}}},
	})
	if err != nil {
		log.Fatal(err)
	}
	for _, f := range res.Failures {
		fmt.Println(f)
	}
	// Output:
	// exec call 1: want helm [version]
	//               got helm [version --short]
}
