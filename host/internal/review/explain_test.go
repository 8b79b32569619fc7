package review

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/mixbox/mixbox/host/internal/errkind"
)

func TestExplain(t *testing.T) {
	t.Parallel()
	dir := writeBundle(t, `schemaVersion: 1.0.1
name: shop
version: v1.2
description: "A shop"
registry: localhost:5000
mixins: [exec, helm3@v1.0.0]
parameters:
  - {name: replicas, type: integer, default: 3, applyTo: [install, upgrade]}
  - {name: db-password, sensitive: true, default: hunter2}
  - {name: cfg, path: cfg.json, source: {output: cfg}}
credentials:
  - {name: token, env: TOKEN, description: "the API token"}
  - {name: kubeconfig, path: /home/nonroot/.kube/config, required: false}
outputs:
  - {name: url, applyTo: [install]}
  - {name: cfg, type: file, path: cfg.json, sensitive: true}
customActions:
  status: {description: "Show it", modifies: false}
install:
  - exec: {command: echo}
  - exec: {command: echo}
upgrade:
  - helm3: {chart: x}
uninstall:
  - exec: {command: echo}
dry-run:
  - exec: {command: echo}
status:
  - exec: {command: echo}
`, map[string]file{"mixins/helm3/runtimes/helm3-runtime": {"#!/bin/sh\n", 0o755}})
	opts := execOptions(dir)
	got, err := Explain(testCtx, opts)
	require.NoError(t, err)
	require.Equal(t, "shop", got.Name)
	require.Equal(t, "1.2.0", got.Version)
	require.Equal(t, []Action{
		{Name: "install", Core: true, Steps: 2, Modifies: true},
		{Name: "upgrade", Core: true, Steps: 1, Modifies: true},
		{Name: "uninstall", Core: true, Steps: 1, Modifies: true},
		{Name: "dry-run", Steps: 1, Stateless: true,
			Description: "Execute the installation in a dry-run mode, allowing to see what would happen with the given set of parameter values"},
		{Name: "status", Steps: 1, Description: "Show it"},
	}, got.Actions)
	require.Equal(t, []Parameter{
		{Name: "replicas", Type: "integer", Default: 3, HasDefault: true, ApplyTo: []string{"install", "upgrade"}, Destination: Destination{Env: "REPLICAS"}},
		{Name: "db-password", Type: "string", Default: masked, HasDefault: true, Sensitive: true, ApplyTo: []string{}, Destination: Destination{Env: "DB_PASSWORD"}},
		{Name: "cfg", Type: "file", Required: true, ApplyTo: []string{}, Destination: Destination{Path: "/cnab/app/cfg.json"}, Source: "output cfg"},
	}, got.Parameters)
	require.Equal(t, []Credential{
		{Name: "token", Description: "the API token", Required: true, ApplyTo: []string{}, Destination: Destination{Env: "TOKEN"}},
		{Name: "kubeconfig", ApplyTo: []string{}, Destination: Destination{Path: "/home/nonroot/.kube/config"}},
	}, got.Credentials)
	require.Equal(t, []Output{
		{Name: "url", Type: "string", ApplyTo: []string{"install"}},
		{Name: "cfg", Type: "file", ApplyTo: []string{}, Sensitive: true, Path: "/cnab/app/cfg.json"},
	}, got.Outputs)
	require.Equal(t, []MixinForm{
		{Name: "exec", Steps: 5, Form: "wasm, built-in"},
		{Name: "helm3", Version: "v1.0.0", Steps: 1, Form: "native, unsandboxed", Path: filepath.Join(dir, "mixins", "helm3", "runtimes", "helm3-runtime")},
	}, got.Mixins)

	// --prefer has no other form to pick; a mixins dir without helm3 has none.
	opts.MixinsDir = t.TempDir()
	got, err = Explain(testCtx, opts)
	require.NoError(t, err)
	require.Empty(t, got.Mixins[1].Form)
	require.True(t, strings.HasPrefix(got.Mixins[1].Problem, "not installed: looked in "+opts.MixinsDir), got.Mixins[1].Problem)

	var text, js bytes.Buffer
	require.NoError(t, WriteExplanation(&text, got, false))
	require.NotContains(t, text.String(), "hunter2")
	require.Contains(t, text.String(), "db-password  string   *******")
	require.NoError(t, WriteExplanation(&js, got, true))
	require.NotContains(t, js.String(), "hunter2")
	var back Explanation
	require.NoError(t, json.Unmarshal(js.Bytes(), &back))
	require.Equal(t, got.Name, back.Name)
	require.Len(t, back.Parameters, 3)
}

// TestExplain_broken: a manifest that does not parse is an ErrManifest.
func TestExplain_broken(t *testing.T) {
	t.Parallel()
	dir := writeBundle(t, head+"install:\n  - exec: {}\n    helm3: {}\n", nil)
	_, err := Explain(testCtx, execOptions(dir))
	require.ErrorIs(t, err, errkind.ErrManifest)
	require.ErrorContains(t, err, "line 7")
	require.NotEmpty(t, errkind.Hint(err))
}
