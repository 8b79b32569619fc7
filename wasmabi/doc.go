// Package wasmabi holds the names, status codes and JSON types of the mixbox
// mixin ABI, version 1 (import module "mixbox_v1"), described in
// docs/spec/abi-v1.md.
//
// It is the only code that encodes or decodes ABI payloads: the host
// (package host) and the guest SDK (package guest) both use it. It imports the
// standard library only, so it builds for GOOS=wasip1 and with TinyGo.
//
//	req := wasmabi.ExecRequest{Command: "helm", Args: []string{"version"}}
//	b, _ := wasmabi.Encode(req)
//	got, err := wasmabi.DecodeExecRequest(b)
//
// # Notes
//
// The package does not run anything: it only names and (de)serialises.
package wasmabi
