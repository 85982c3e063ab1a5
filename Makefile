# The two commands: `make run` and `make test`. Everything else is a helper.
# Builds: build/ (debugoptimized, for run), build-asan/ (ASan + UBSan, for
# tests), build-release/ (for benchmarks).

PYTHON ?= python3
CTL = build/clients/postroomctl/postroomctl

.PHONY: all build run test test-long bench clean deps deps-test

all: build

deps:
	@scripts/install-deps

build: deps
	@test -f build/build.ninja || meson setup build >/dev/null
	@ninja -C build

run: build
	@echo "Postroom: embedded default (data in ./var, 127.0.0.1 only)"
	@echo "  SMTP 2525, submission 2587 (STARTTLS), submissions 2465 (TLS)"
	@echo "  POP3 2110 (STLS), 2995 (TLS); IMAP 2143 (STARTTLS), 2993 (TLS)"
	@echo "  HTTPS 2443, HTTP 2080 (client autoconfig; on loopback HTTP serves all)"
	@echo "  Add a user in another terminal, from this folder:"
	@echo "    $(CTL) domain add example.test"
	@echo "    echo secret | $(CTL) account add bob@example.test"
	@echo "  Send a first mail:"
	@echo "    swaks --server 127.0.0.1:2525 --to bob@example.test --from lisa@other.test"
	@echo "  Read it:"
	@echo "    curl -s pop3://127.0.0.1:2110/1 -u bob@example.test:secret"
	@echo "  A mail client's settings, and the DNS records to publish:"
	@echo "    curl -s 'http://127.0.0.1:2080/mail/config-v1.1.xml?emailaddress=bob%40example.test'"
	@echo "    $(CTL) dns example.test"
	@echo "  Stop with Ctrl-C."
	@exec build/servers/postroomd/postroomd

build-asan/build.ninja:
	@meson setup build-asan -Db_sanitize=address,undefined -Db_lundef=false \
		-Dbuildtype=debug >/dev/null

test: deps-test build-asan/build.ninja
	@ninja -C build-asan
	@$(PYTHON) tests/run.py --build build-asan

test-long: deps-test build-asan/build.ninja
	@ninja -C build-asan
	@$(PYTHON) tests/run.py --build build-asan --long

deps-test:
	@scripts/install-deps test

bench: deps-test
	@test -f build-release/build.ninja || meson setup build-release -Dbuildtype=release >/dev/null
	@ninja -C build-release
	@$(PYTHON) bench/smtp.py --build build-release
	@$(PYTHON) bench/relay.py --build build-release
	@$(PYTHON) bench/pop3.py --build build-release
	@$(PYTHON) bench/imap.py --build build-release
	@$(PYTHON) bench/imap_search.py --build build-release
	@$(PYTHON) bench/client_sync.py --build build-release

clean:
	rm -rf build build-asan build-release
