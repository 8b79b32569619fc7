package host

import (
	"encoding/json"
	"fmt"
	"runtime"
	"runtime/debug"

	"github.com/mixbox/mixbox/host/internal/image"
	"github.com/mixbox/mixbox/wasmabi"
)

// VersionInfo describes this mixbox.
type VersionInfo struct {
	Version   string `json:"version"`
	ABI       string `json:"abi"`
	GoVersion string `json:"go"`
	Platform  string `json:"platform"`
}

// Version returns this mixbox's version: the module version when built as a
// module dependency, the VCS revision when built from a checkout, else "dev".
func Version() VersionInfo {
	v := VersionInfo{Version: "dev", ABI: wasmabi.Module, GoVersion: runtime.Version(),
		Platform: runtime.GOOS + "/" + runtime.GOARCH}
	if bi, ok := debug.ReadBuildInfo(); ok {
		v.Version = image.VersionOf(bi)
	}
	return v
}

// JSON returns v as indented JSON.
func (v VersionInfo) JSON() ([]byte, error) {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("encode version: %w", err)
	}
	return b, nil
}
