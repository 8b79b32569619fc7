// cmixin is a mixbox mixin written in C (clang + wasi-libc), to show that
// the mixbox_v1 ABI needs no SDK: a few imported functions and JSON.
//
// It reads its step from stdin:
//
//	install:
//	  - cmixin:
//	      description: Say hello from C
//	      message: Hello, world
//	      outputs:
//	        - name: greeting
//
// (the runtime prints the description), runs `echo <message>` on the host
// through mixbox_v1.exec, reads the ExecResult with response_read, logs what
// it did, and sets every output it names to echo's stdout (without the
// trailing newline).
//
// Its step parser is line-based: it knows the keys `message:` and, under
// `outputs:`, `- name:`. A real C mixin would link a YAML library.
//
// Built as is, it is a WASI command: main runs once per instance, and mixbox
// starts a fresh instance for every step. Built with -DMIXBOX_REACTOR and
// -mexec-model=reactor (the Makefile's src/cmixin-reactor.wasm), it is a
// reactor (abi-v1 §1a): wasi-libc exports _initialize, this file exports
// mixbox_step, and mixbox instantiates it once per run and restores it to
// its post-_initialize state before every step, so each step reads its own
// stdin from the start and nothing malloc'd by one step is seen by the next.
// The step logic, run(), is the same in both builds.
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef MIXBOX_REACTOR
#include <wasi/api.h>
#endif

#define MIXBOX_IMPORT(name) __attribute__((import_module("mixbox_v1"), import_name(name)))

MIXBOX_IMPORT("exec") int32_t mixbox_exec(const char *req, uint32_t req_len);
MIXBOX_IMPORT("response_read") int32_t mixbox_response_read(char *buf, uint32_t buf_cap);
MIXBOX_IMPORT("output_set")
int32_t mixbox_output_set(const char *name, uint32_t name_len, const char *val, uint32_t val_len);
MIXBOX_IMPORT("log") int32_t mixbox_log(int32_t level, const char *msg, uint32_t msg_len);

enum { LOG_DEBUG = 0, LOG_INFO = 1 };
enum { E_DENIED = -3, E_NOTFOUND = -4, E_TOOSMALL = -6 };
enum { MAX_OUTPUTS = 16 };

// buf is a growable, NUL-terminated byte buffer.
struct buf {
	char *p;
	size_t len, cap;
};

static void put(struct buf *b, const char *s, size_t n) {
	if (b->len + n + 1 > b->cap) {
		b->cap = (b->len + n + 1) * 2;
		b->p = realloc(b->p, b->cap);
		if (b->p == NULL) {
			fputs("cmixin: out of memory\n", stderr);
			exit(1);
		}
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void puts_buf(struct buf *b, const char *s) { put(b, s, strlen(s)); }

// put_json_string appends s as a JSON string literal.
static void put_json_string(struct buf *b, const char *s) {
	put(b, "\"", 1);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\') {
			char esc[2] = {'\\', (char)c};
			put(b, esc, 2);
		} else if (c < 0x20) {
			char esc[7];
			snprintf(esc, sizeof esc, "\\u%04x", c);
			put(b, esc, 6);
		} else {
			put(b, (const char *)&c, 1);
		}
	}
	put(b, "\"", 1);
}

static void logf_info(const char *msg) { mixbox_log(LOG_INFO, msg, (uint32_t)strlen(msg)); }

static void fail(const char *what, const char *detail) {
	fprintf(stderr, "Error: cmixin: %s%s%s\n", what, detail ? ": " : "", detail ? detail : "");
	exit(1);
}

// read_stdin returns the whole of stdin.
static struct buf read_stdin(void) {
	struct buf in = {0};
	char chunk[4096];
	size_t n;
	while ((n = fread(chunk, 1, sizeof chunk, stdin)) > 0) {
		put(&in, chunk, n);
	}
	if (in.p == NULL) {
		put(&in, "", 0);
	}
	return in;
}

// scalar copies the YAML scalar that starts at s (to the end of the line)
// into a new string, without surrounding quotes. It knows the escapes \" and
// \\ of double-quoted scalars and '' of single-quoted ones.
static char *scalar(const char *s) {
	while (*s == ' ') {
		s++;
	}
	size_t n = strcspn(s, "\r\n");
	while (n > 0 && s[n - 1] == ' ') {
		n--;
	}
	struct buf out = {0};
	put(&out, "", 0);
	if (n >= 2 && (s[0] == '"' || s[0] == '\'') && s[n - 1] == s[0]) {
		char q = s[0];
		for (size_t i = 1; i + 1 < n; i++) {
			if (q == '"' && s[i] == '\\' && i + 2 < n) {
				i++;
			} else if (q == '\'' && s[i] == '\'' && i + 2 < n && s[i + 1] == '\'') {
				i++;
			}
			put(&out, s + i, 1);
		}
	} else {
		put(&out, s, n);
	}
	return out.p;
}

// json_string finds "key": "..." in a flat JSON object and returns the
// decoded string (ASCII \u escapes only), or NULL.
static char *json_string(const char *json, const char *key) {
	char pat[64];
	snprintf(pat, sizeof pat, "\"%s\":", key);
	const char *p = strstr(json, pat);
	if (p == NULL) {
		return NULL;
	}
	p += strlen(pat);
	while (*p == ' ') {
		p++;
	}
	if (*p != '"') {
		return NULL;
	}
	struct buf out = {0};
	put(&out, "", 0);
	for (p++; *p && *p != '"'; p++) {
		char c = *p;
		if (c == '\\' && p[1]) {
			p++;
			switch (*p) {
			case 'n': c = '\n'; break;
			case 't': c = '\t'; break;
			case 'r': c = '\r'; break;
			case 'u': c = (char)strtol((char[]){p[1], p[2], p[3], p[4], 0}, NULL, 16); p += 4; break;
			default: c = *p;
			}
		}
		put(&out, &c, 1);
	}
	return out.p;
}

// json_int finds "key": N in a flat JSON object.
static long json_int(const char *json, const char *key, long def) {
	char pat[64];
	snprintf(pat, sizeof pat, "\"%s\":", key);
	const char *p = strstr(json, pat);
	return p ? strtol(p + strlen(pat), NULL, 10) : def;
}

// read_response copies the staged response into a buffer, doubling it on
// E_TOOSMALL (the slot is kept until a read succeeds).
static char *read_response(int32_t size) {
	uint32_t cap = size > 64 ? (uint32_t)size : 64;
	for (;;) {
		char *buf = malloc(cap + 1);
		if (buf == NULL) {
			fail("out of memory", NULL);
		}
		int32_t rc = mixbox_response_read(buf, cap);
		if (rc == E_TOOSMALL) {
			free(buf);
			cap *= 2;
			continue;
		}
		if (rc < 0) {
			char code[16];
			snprintf(code, sizeof code, "%d", (int)rc);
			fail("response_read failed with code", code);
		}
		buf[rc] = '\0';
		return buf;
	}
}

// run is one step: argv[1] is the action, stdin the step. It returns the
// exit code; fail() exits instead, which in a reactor ends the step with
// that code (and mixbox starts the next step on a new instance).
static int run(int argc, char **argv) {
	const char *action = argc > 1 ? argv[1] : "";
	if (strcmp(action, "version") == 0) {
		puts("cmixin v0.1.0");
		return 0;
	}
	struct buf in = read_stdin();

	// The step: message, and the names of its outputs.
	char *message = NULL;
	char *outputs[MAX_OUTPUTS];
	int n_outputs = 0, in_outputs = 0;
	for (char *line = in.p; line && *line;) {
		char *next = strchr(line, '\n');
		const char *t = line + strspn(line, " ");
		if (strncmp(t, "message:", 8) == 0) {
			message = scalar(t + 8);
		} else if (strncmp(t, "outputs:", 8) == 0) {
			in_outputs = 1;
		} else if (in_outputs && strncmp(t, "- name:", 7) == 0 && n_outputs < MAX_OUTPUTS) {
			outputs[n_outputs++] = scalar(t + 7);
		}
		line = next ? next + 1 : NULL;
	}
	if (message == NULL) {
		fail("the step has no message", NULL);
	}
	// {"command": "echo", "args": [MESSAGE], "stream": false}
	struct buf req = {0};
	puts_buf(&req, "{\"command\":\"echo\",\"args\":[");
	put_json_string(&req, message);
	puts_buf(&req, "],\"stream\":false}");
	int32_t rc = mixbox_exec(req.p, (uint32_t)req.len);
	if (rc == E_DENIED) {
		fail("exec echo: denied by the policy", "grant echo to cmixin (mixbox run --policy)");
	} else if (rc == E_NOTFOUND) {
		fail("exec echo: not found on the host", NULL);
	} else if (rc < 0) {
		char code[16];
		snprintf(code, sizeof code, "%d", (int)rc);
		fail("exec echo failed with code", code);
	}
	char *result = read_response(rc);
	long exit_code = json_int(result, "exit_code", -1);
	char *out = json_string(result, "stdout");
	if (exit_code != 0 || out == NULL) {
		char *err = json_string(result, "stderr");
		fail("echo failed", err ? err : result);
	}
	size_t n = strlen(out);
	if (n > 0 && out[n - 1] == '\n') {
		out[--n] = '\0';
	}

	struct buf msg = {0};
	puts_buf(&msg, "cmixin: echo said: ");
	puts_buf(&msg, out);
	logf_info(msg.p);

	for (int i = 0; i < n_outputs; i++) {
		if (mixbox_output_set(outputs[i], (uint32_t)strlen(outputs[i]), out, (uint32_t)n) < 0) {
			fail("cannot set output", outputs[i]);
		}
	}
	return 0;
}

#ifdef MIXBOX_REACTOR
// args returns argv, read from WASI: a reactor has no main to receive it.
// mixbox gives every step of a run the same argv.
static char **args(int *argc) {
	__wasi_size_t n = 0, size = 0;
	if (__wasi_args_sizes_get(&n, &size) != 0) {
		fail("cannot read argv", NULL);
	}
	char **argv = calloc(n + 1, sizeof *argv);
	char *buf = malloc(size);
	if (argv == NULL || buf == NULL || __wasi_args_get((uint8_t **)argv, (uint8_t *)buf) != 0) {
		fail("cannot read argv", NULL);
	}
	*argc = (int)n;
	return argv;
}

// mixbox_step is the reactor's step function (abi-v1 §1a). Whatever stdout
// still buffers when it returns would be lost with the restore: flush it.
__attribute__((export_name("mixbox_step"))) int32_t mixbox_step(void) {
	int argc = 0;
	char **argv = args(&argc);
	int code = run(argc, argv);
	fflush(stdout);
	fflush(stderr);
	return code;
}
#else
int main(int argc, char **argv) { return run(argc, argv); }
#endif
