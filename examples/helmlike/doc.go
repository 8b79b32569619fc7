// Package helmlike is an example mixin that drives a real command-line tool
// the way Porter's helm3 mixin does: it builds `helm` command lines from a
// step, runs them through the host, and reads its outputs from the JSON that
// `kubectl` and `helm` print. The same source builds to a sandboxed wasm
// mixin (helmlike-runtime.wasm) and to a native helmlike-runtime.
//
// A step:
//
//	install:
//	  - helmlike:
//	      description: Install MySQL
//	      name: mysql
//	      chart: bitnami/mysql
//	      version: 9.4.1
//	      namespace: db
//	      set: {auth.database: app}
//	      values: [values.yaml]
//	      outputs:
//	        - name: mysql-root-password
//	          secret: mysql
//	          key: mysql-root-password
//	        - name: revision
//	          statusField: version
//
// install and upgrade run `helm upgrade --install NAME CHART ...`; uninstall
// runs `helm uninstall NAME`. A secret output runs `kubectl get secret
// SECRET -o json`, base64-decodes `.data[KEY]` and masks the value before it
// is set; a statusField output reads a dotted field of `helm status NAME -o
// json`.
//
// # Notes
//
// It is an example, tested only with `mixbox mixin test` cases
// (testdata/cases.yaml): no helm, kubectl or cluster is needed. It does not
// support custom actions, chart repositories, or Porter's `build` and
// `schema` commands.
package helmlike
