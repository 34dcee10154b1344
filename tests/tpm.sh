# SPDX-License-Identifier: MIT
# A software TPM 2.0 for tests (sourced after tests/lib.sh, after setup).
#
#   tpm_setup LABEL USERPIN
#
# starts, inside $T/tpm and on free 127.0.0.1 ports only:
#   - swtpm in socket mode (state in $T/tpm/state), TPM2_Startup done by swtpm;
#   - a private D-Bus session bus (config and socket in $T/tpm), never the
#     system bus or the developer's session;
#   - tpm2-abrmd on that bus as resource manager, talking to swtpm: without it
#     tpm2-pkcs11 runs out of TPM object contexts;
# then makes the tpm2-pkcs11 store $T/tpm/store and a token LABEL with user
# PIN USERPIN (SO PIN 87654321) through examples/tpm/init-tpm-token.sh, so the
# field script is tested with every run.  Every process is stopped by its PID
# at exit.  When a piece is missing or does not come up the whole test is
# skipped with the reason; it never passes without a TPM.
#
# Exports TPM2_PKCS11_STORE, TPM2_PKCS11_TCTI (tabrmd:bus_type=session),
# TPM2TOOLS_TCTI, DBUS_SESSION_BUS_ADDRESS, TSS2_LOG and TPM_USER_PIN_FILE
# (file with USERPIN, 0600).
#
# How the module is found: p11-kit reads module configs from
# /usr/share/p11-kit/modules, where Debian's libtpm2-pkcs11-1 installs
# tpm2_pkcs11.module, so GnuTLS (p11tool, the edge tools) and the p11-kit
# proxy see the TPM token with no change at all.  If that file is missing
# (another distribution, a module built by hand), a user config
# $T/tpm/home/.config/pkcs11/modules/tpm2_pkcs11.module is written and HOME
# points there for the rest of the test: p11-kit merges user configs unless
# /etc/pkcs11/pkcs11.conf says user-config: none.

tpm_setup() {
	_tpm_label=$1
	_tpm_pin=$2
	for _c in swtpm:swtpm tpm2-abrmd:tpm2-abrmd dbus-daemon:dbus-daemon \
	    tpm2_ptool:libtpm2-pkcs11-tools tpm2_getcap:tpm2-tools p11tool:gnutls-bin \
	    python3:python3; do
		command -v "${_c%%:*}" >/dev/null 2>&1 ||
			skip_all "${_c%%:*} not installed (Debian package ${_c#*:})"
	done
	ldconfig -p 2>/dev/null | grep -q 'libtss2-tcti-tabrmd\.so\.0 ' ||
		skip_all "libtss2-tcti-tabrmd.so.0 not installed (Debian package libtss2-tcti-tabrmd0)"
	_tpm_moddir=$(pkg-config --variable=p11_module_path p11-kit-1 2>/dev/null)
	_tpm_module=${_tpm_moddir:-/usr/lib/x86_64-linux-gnu/pkcs11}/libtpm2_pkcs11.so
	[ -e "$_tpm_module" ] ||
		skip_all "$_tpm_module not installed (Debian package libtpm2-pkcs11-1)"

	_tpm=$T/tpm
	mkdir -p -m 0700 "$_tpm/state" "$_tpm/store"

	# swtpm: a free data port, control on the next one (the swtpm TCTI of
	# tpm2-abrmd expects it there); retry when the control port is taken
	# or another process takes a port between the probe and the bind.
	_tpm_try=0
	while :; do
		_tpm_try=$((_tpm_try + 1))
		TPM_PORT=$(free_port)
		if [ -n "$TPM_PORT" ] && [ "$TPM_PORT" -lt 65535 ]; then
			TPM_CTRL_PORT=$((TPM_PORT + 1))
			swtpm socket --tpm2 --tpmstate "dir=$_tpm/state" \
				--server "type=tcp,port=$TPM_PORT,bindaddr=127.0.0.1" \
				--ctrl "type=tcp,port=$TPM_CTRL_PORT,bindaddr=127.0.0.1" \
				--flags not-need-init,startup-clear \
				--log "file=$_tpm/swtpm.log" >"$_tpm/swtpm.out" 2>&1 &
			TPM_SWTPM_PID=$!
			on_exit "stop_pid $TPM_SWTPM_PID"
			if wait_for_port "$TPM_PORT" 5 && kill -0 "$TPM_SWTPM_PID" 2>/dev/null; then
				break
			fi
			stop_pid "$TPM_SWTPM_PID"
		fi
		[ $_tpm_try -lt 5 ] || skip_all "swtpm did not start: $(tail -n 1 "$_tpm/swtpm.out" "$_tpm/swtpm.log" 2>/dev/null | tr '\n' ' ')"
	done

	# A private session bus: own config, socket in $T, no service activation.
	cat > "$_tpm/bus.conf" <<EOF
<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:path=$_tpm/bus</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
EOF
	dbus-daemon --config-file="$_tpm/bus.conf" --fork \
		--print-address=3 --print-pid=4 3>"$_tpm/bus.address" 4>"$_tpm/bus.pid" \
		2>"$_tpm/bus.err" </dev/null ||
		skip_all "dbus-daemon did not start: $(head -n 1 "$_tpm/bus.err")"
	TPM_DBUS_PID=$(head -n 1 "$_tpm/bus.pid")
	[ -n "$TPM_DBUS_PID" ] && on_exit "stop_pid $TPM_DBUS_PID"
	DBUS_SESSION_BUS_ADDRESS=$(head -n 1 "$_tpm/bus.address")
	[ -n "$DBUS_SESSION_BUS_ADDRESS" ] || skip_all "dbus-daemon printed no address"
	export DBUS_SESSION_BUS_ADDRESS

	# tpm2-abrmd, the resource manager, on that bus.  It refuses to run as
	# root unless told (CI and these machines run tests as root).
	_tpm_root=
	[ "$(id -u)" -ne 0 ] || _tpm_root=--allow-root
	tpm2-abrmd --session $_tpm_root --flush-all \
		--tcti="swtpm:host=127.0.0.1,port=$TPM_PORT" \
		>"$_tpm/abrmd.log" 2>&1 </dev/null &
	TPM_ABRMD_PID=$!
	on_exit "stop_pid $TPM_ABRMD_PID"

	TPM2_PKCS11_TCTI=tabrmd:bus_type=session
	TPM2TOOLS_TCTI=$TPM2_PKCS11_TCTI
	TPM2_PKCS11_STORE=$_tpm/store
	# The TSS logs errors to stderr; tests look at the tools' stderr.
	TSS2_LOG=all+NONE
	export TPM2_PKCS11_TCTI TPM2TOOLS_TCTI TPM2_PKCS11_STORE TSS2_LOG

	# Up when the TPM answers through the resource manager.
	_tpm_try=0
	until tpm2_getcap properties-fixed >/dev/null 2>"$_tpm/getcap.err"; do
		_tpm_try=$((_tpm_try + 1))
		if ! kill -0 "$TPM_ABRMD_PID" 2>/dev/null || [ $_tpm_try -ge 100 ]; then
			skip_all "tpm2-abrmd did not come up: $(grep -m 1 -i 'critical\|error' "$_tpm/abrmd.log" || tail -n 1 "$_tpm/getcap.err")"
		fi
		sleep 0.1
	done

	# A fresh TPM locks every PIN-protected object after 3 failed
	# authorisations (dictionary-attack lockout, as a real TPM does);
	# tests try wrong PINs on purpose, so allow 32 and recover in 1 s.
	tpm2_dictionarylockout --setup-parameters --max-tries=32 --recovery-time=1 \
		--lockout-recovery-time=1 >/dev/null 2>"$_tpm/da.err" ||
		skip_all "cannot set the TPM's dictionary-attack parameters: $(tail -n 1 "$_tpm/da.err")"

	# The module for p11-kit (see above).
	if ! grep -qs 'libtpm2_pkcs11' /usr/share/p11-kit/modules/*.module /etc/pkcs11/modules/*.module; then
		HOME=$_tpm/home
		export HOME
		mkdir -p "$HOME/.config/pkcs11/modules"
		printf 'module: %s\ncritical: no\n' "$_tpm_module" \
			> "$HOME/.config/pkcs11/modules/tpm2_pkcs11.module"
	fi

	# The store and the token, by the script a field gateway uses.
	TPM_USER_PIN_FILE=$_tpm/user.pin
	( umask 077; printf '%s\n' "$_tpm_pin" > "$TPM_USER_PIN_FILE"
	  printf '87654321\n' > "$_tpm/so.pin" )
	export TPM_USER_PIN_FILE
	if ! "$TOP/examples/tpm/init-tpm-token.sh" -s "$TPM2_PKCS11_STORE" -l "$_tpm_label" \
	    -u "$TPM_USER_PIN_FILE" -S "$_tpm/so.pin" >"$_tpm/init.out" 2>"$_tpm/init.err"; then
		sed 's/^/# /' "$_tpm/init.err"
		echo "Bail out! examples/tpm/init-tpm-token.sh could not make the token"
		exit 1
	fi
	p11tool --list-tokens 2>/dev/null | grep -q "token=$_tpm_label\$" ||
		skip_all "p11-kit does not show the tpm2-pkcs11 token '$_tpm_label'"
}
