package tmpl_test

import (
	"testing"

	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"

	"github.com/mixbox/mixbox/host/internal/manifest"
	"github.com/mixbox/mixbox/host/internal/tmpl"
)

const header = `schemaVersion: 1.0.1
name: probe
version: 0.2.0
description: a probe
registry: localhost:5000
mixins: [exec]
`

func TestRenderStep(t *testing.T) {
	t.Parallel()
	env := map[string]string{
		"NAME": "porter-user", "REPLICAS": "3", "FLAG": "true",
		"OBJ": `{"a":1,"b":"two","n":{"token":"tok"}}`,
		"PW":  "s3cr3t", "TOKEN": "tok-123", "HTML": "a<b>&c", "COLON": "k: v",
		"PORTER_INSTALLATION_NAME": "inst", "PORTER_INSTALLATION_NAMESPACE": "dev", "PORTER_INSTALLATION_ID": "01ID",
		"PORTER_GREETING_OUTPUT":    "hi-from-last-run",
		"PORTER_DB_CONN_DEP_OUTPUT": "db-conn",
	}
	params := `parameters:
  - {name: name, type: string}
  - {name: replicas, type: integer}
  - {name: flag, type: boolean}
  - {name: obj, type: object, sensitive: true}
  - {name: pw, type: string, sensitive: true}
  - {name: html, type: string}
  - {name: colon, type: string}
  - {name: cfg, type: file, path: /cnab/app/cfg.json}
  - {name: upgradeonly, type: string, applyTo: [upgrade]}
credentials:
  - {name: token, env: TOKEN}
  - {name: kube, path: /root/.kube/config}
outputs:
  - {name: greeting, type: string}
  - {name: public, type: string, sensitive: false}
custom:
  app: {version: 1.2.3, enabled: true}
images:
  web: {repository: docker.io/library/nginx, digest: "sha256:aaaa", imageType: docker}
`
	tests := []struct {
		name, header, steps string
		outputs             map[string]string
		want                string
		wantDesc            string
		wantSensitive       []string
		wantErr             error
	}{
		{
			name: "typing, quoting and nested values",
			steps: `install:
  - exec:
      description: "Probe ${ bundle.parameters.name }"
      someString: "hello ${ bundle.parameters.name }"
      unquotedInt: ${ bundle.parameters.replicas }
      quotedInt: "${ bundle.parameters.replicas }"
      unquotedBool: ${ bundle.parameters.flag }
      objJson: '${ bundle.parameters.obj }'
      objField: ${ bundle.parameters.obj.b }
      objNested: "${ bundle.parameters.obj.n }"
      list: [a, "${ installation.name }"]
      inst: "${ installation.namespace }/${ installation.id }"
`,
			want: `install:
  - exec:
      description: Probe porter-user
      inst: dev/01ID
      list:
        - a
        - inst
      objField: two
      objJson: '{"a":1,"b":"two","n":{"token":"tok"}}'
      objNested: map[token:tok]
      quotedInt: "3"
      someString: hello porter-user
      unquotedBool: true
      unquotedInt: 3
`,
			wantDesc:      "Probe porter-user",
			wantSensitive: []string{`{"a":1,"b":"two","n":{"token":"tok"}}`, "1", "two", `{"token":"tok"}`, "tok", "s3cr3t", "tok-123", "/root/.kube/config"},
		},
		{
			name: "triple stache, no HTML escaping, file param path, bundle metadata",
			steps: `install:
  - exec:
      a: "${{ bundle.parameters.html }}"
      b: "${ bundle.parameters.html }"
      c: "${ bundle.parameters.cfg } ${ bundle.name }@${ bundle.version }: ${ bundle.description }"
      d: "${ bundle.custom.app.version } ${ bundle.custom.app.enabled } {{ literal }}"
      e: "${ bundle.installerImage }"
`,
			want: `install:
  - exec:
      a: a<b>&c
      b: a<b>&c
      c: '/cnab/app/cfg.json probe@0.2.0: a probe'
      d: 1.2.3 true {{ literal }}
      e: localhost:5000/probe:porter-a75469666edf829cd84d3b5e3674e524
`,
		},
		{
			name: "images, credentials, outputs and dependency outputs",
			steps: `install:
  - exec:
      img: "${ bundle.images.web.repository }@${ bundle.images.web.digest } [${ bundle.images.web.size }] [${ bundle.images.web.labels }]"
      cred: "${ bundle.credentials.kube }"
      prev: "${ bundle.outputs.greeting }"
      step: "${ bundle.outputs.extra } ${ bundle.outputs.public }"
      dep: "${ bundle.dependencies.db.outputs.conn }"
      env: "${ env.NAME }"
`,
			outputs: map[string]string{"extra": "step-secret", "public": "shown"},
			want: `install:
  - exec:
      cred: /root/.kube/config
      dep: db-conn
      env: porter-user
      img: docker.io/library/nginx@sha256:aaaa [<uint64 Value>] [<map[string]string Value>]
      prev: hi-from-last-run
      step: step-secret shown
`,
			wantSensitive: []string{`{"a":1,"b":"two","n":{"token":"tok"}}`, "1", "two", `{"token":"tok"}`, "tok", "s3cr3t", "tok-123", "/root/.kube/config", "step-secret"},
		},
		{
			name:   "alpha.1 uses curly delimiters",
			header: "schemaVersion: 1.0.0-alpha.1\nname: probe\nmixins: [exec]\n",
			steps: `install:
  - exec:
      a: "{{ bundle.parameters.name }} ${ x }"
`,
			want: "install:\n  - exec:\n      a: porter-user ${ x }\n",
		},
		{
			name:    "missing variable",
			steps:   "install:\n  - exec:\n      a: x\n  - exec:\n      a: \"${ bundle.parameters.nope }\"\n",
			wantErr: tmpl.ErrMissingVariable,
		},
		{
			name:    "parameter of another action is missing",
			steps:   "install:\n  - exec:\n      a: \"${ bundle.parameters.upgradeonly }\"\n",
			wantErr: tmpl.ErrMissingVariable,
		},
		{
			name:    "missing variable inside a section",
			steps:   "install:\n  - exec:\n      a: \"${#bundle.parameters.name}${ nope }${/bundle.parameters.name}\"\n",
			wantErr: tmpl.ErrMissingVariable,
		},
		{
			name:    "value with colon in unquoted position",
			steps:   "install:\n  - exec:\n      a: ${ bundle.parameters.colon }\n",
			wantErr: tmpl.ErrInvalidRenderedYAML,
		},
		{
			name:    "partials are refused",
			steps:   "install:\n  - exec:\n      a: \"${> /etc/passwd }\"\n",
			wantErr: tmpl.ErrInvalidTemplate,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			h := tc.header
			if h == "" {
				h = header
			}
			text := h + params + "dependencies:\n  requires:\n    - name: db\n      bundle: {reference: localhost:5000/db:v1}\n" + tc.steps
			m, err := manifest.Parse([]byte(text))
			require.NoError(t, err)
			steps, err := m.Steps("install")
			require.NoError(t, err)
			in := tmpl.Input{
				Manifest: m, Action: "install", Env: env, Outputs: tc.outputs,
				Dependencies: map[string]*manifest.Bundle{"db": {Name: "mydb", Version: "0.1.0"}},
			}
			var res *tmpl.Result
			for _, st := range steps {
				res, err = tmpl.RenderStep(testCtx, in, st)
				if err != nil {
					break
				}
			}
			if tc.wantErr != nil {
				require.ErrorIs(t, err, tc.wantErr)
				require.Contains(t, err.Error(), "render install step")
				require.NotContains(t, err.Error(), "s3cr3t")
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.want, string(res.Stdin))
			require.Equal(t, tc.wantDesc, res.Description)
			if tc.wantSensitive != nil {
				require.ElementsMatch(t, tc.wantSensitive, secretValues(res.Sensitive))
			}
		})
	}
}

func TestRender_missingVariableMessage(t *testing.T) {
	t.Parallel()
	m, err := manifest.Parse([]byte(header + "install:\n  - exec:\n      a: x\n  - exec:\n      a: \"${ bundle.parameters.nope }\"\n"))
	require.NoError(t, err)
	steps, err := m.Steps("install")
	require.NoError(t, err)
	data, err := tmpl.BuildData(testCtx, tmpl.Input{Manifest: m, Action: "install"})
	require.NoError(t, err)
	_, err = tmpl.Render(m, steps[1], data.Values)
	require.ErrorIs(t, err, tmpl.ErrMissingVariable)
	require.EqualError(t, err, `render install step 2: missing variable "bundle.parameters.nope"`)
}

func TestBuildData_outputs(t *testing.T) {
	t.Parallel()
	const man = header + `outputs:
  - {name: msg, type: string}
  - {name: secret, type: string, sensitive: true}
install:
  - exec:
      a: "${ bundle.outputs.msg } ${ bundle.outputs.secret }"
`
	m, err := manifest.Parse([]byte(man))
	require.NoError(t, err)
	tests := []struct {
		name          string
		env, outputs  map[string]string
		wantMsg       string
		wantSensitive []string
		wantErr       error
	}{
		{name: "injected from a previous run", env: map[string]string{"PORTER_MSG_OUTPUT": "null", "PORTER_SECRET_OUTPUT": "pw"},
			wantMsg: "null", wantSensitive: []string{"pw"}},
		{name: "step output overrides", env: map[string]string{"PORTER_MSG_OUTPUT": "old", "PORTER_SECRET_OUTPUT": "pw"},
			outputs: map[string]string{"msg": "new"}, wantMsg: "new", wantSensitive: []string{"pw"}},
		{name: "empty step output counts as unset", env: map[string]string{"PORTER_MSG_OUTPUT": "old", "PORTER_SECRET_OUTPUT": "pw"},
			outputs: map[string]string{"msg": ""}, wantMsg: "old", wantSensitive: []string{"pw"}},
		{name: "not injected", env: map[string]string{"PORTER_SECRET_OUTPUT": "pw"}, wantErr: tmpl.ErrNoOutputSource},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := tmpl.BuildData(testCtx, tmpl.Input{Manifest: m, Action: "install", Env: tc.env, Outputs: tc.outputs})
			if tc.wantErr != nil {
				require.ErrorIs(t, err, tc.wantErr)
				return
			}
			require.NoError(t, err)
			outs := got.Values["bundle"].(map[string]any)["outputs"].(map[string]any)
			require.Equal(t, tc.wantMsg, outs["msg"])
			require.Equal(t, tc.wantSensitive, secretValues(got.Sensitive))
		})
	}
}

func TestMarshalStdin(t *testing.T) {
	t.Parallel()
	var step map[string]any
	require.NoError(t, yaml.Unmarshal([]byte("exec:\n  z: 0.10\n  a: \"line1\\nline2\"\n  e:\n"), &step))
	got, err := tmpl.MarshalStdin("status", step)
	require.NoError(t, err)
	require.Equal(t, "status:\n  - exec:\n      a: |-\n        line1\n        line2\n      e: null\n      z: 0.1\n", string(got))
}

// secretValues returns the values of secrets, in order.
func secretValues(secrets []tmpl.Secret) []string {
	var out []string
	for _, s := range secrets {
		out = append(out, s.Value)
	}
	return out
}

// TestBuildData_secretNames: every value to mask says what it is, and a
// step output says it came from a step.
func TestBuildData_secretNames(t *testing.T) {
	t.Parallel()
	const man = header + `parameters:
  - {name: cfg, type: object, sensitive: true}
credentials:
  - {name: token, env: TOKEN}
install:
  - exec:
      a: x
`
	m, err := manifest.Parse([]byte(man))
	require.NoError(t, err)
	got, err := tmpl.BuildData(testCtx, tmpl.Input{
		Manifest: m, Action: "install",
		Env:     map[string]string{"CFG": `{"user":"admin-user","n":{"k":"nested-val"}}`, "TOKEN": "tok-123456"},
		Outputs: map[string]string{"made": "step-made-secret"},
	})
	require.NoError(t, err)
	want := []tmpl.Secret{
		{Name: "parameter cfg", Value: `{"n":{"k":"nested-val"},"user":"admin-user"}`},
		{Name: "a field of parameter cfg", Value: `{"k":"nested-val"}`},
		{Name: "a field of parameter cfg", Value: "nested-val"},
		{Name: "a field of parameter cfg", Value: "admin-user"},
		{Name: "credential token", Value: "tok-123456"},
		{Name: "output made", Value: "step-made-secret", FromStep: true},
	}
	require.Equal(t, want, got.Sensitive)
}

// TestRender_yamlErrorQuotesNoValue: a secret rendered where YAML reads it
// as syntax (an alias, '*name') breaks the step; the error says where, and
// quotes nothing of the document, so no part of the secret is printed.
func TestRender_yamlErrorQuotesNoValue(t *testing.T) {
	t.Parallel()
	m, err := manifest.Parse([]byte(header + "credentials:\n  - {name: pw, env: PW}\ninstall:\n  - exec:\n      a: ${ bundle.credentials.pw }\n"))
	require.NoError(t, err)
	steps, err := m.Steps("install")
	require.NoError(t, err)
	_, err = tmpl.RenderStep(testCtx, tmpl.Input{Manifest: m, Action: "install", Env: map[string]string{"PW": "*Sup3rS3cretPw"}}, steps[0])
	require.ErrorIs(t, err, tmpl.ErrInvalidRenderedYAML)
	require.NotContains(t, err.Error(), "Sup3r")
	require.Contains(t, err.Error(), "unknown anchor (…) referenced")
	require.Contains(t, err.Error(), "quote the templated value in porter.yaml (line")
}
