# Sourced by Tools/python-env.sh and Tools/python/vllm-env.sh: the cached-venv steps both share.
#
#   venv_begin NAME PREFIX REQUIREMENTS   sets CACHE, KEY, VENV (<cache>/python/PREFIX-KEY, KEY =
#                                         16 hex digits of the file's sha256), prints the venv
#                                         and exits when it is complete, else takes the lock
#   apt_install PACKAGE...                apt-get install as root or with sudo (non-interactive)
#   need_python_311                       python3 and its venv module, and Python 3.11
#   venv_create                           removes an unfinished venv, creates it in place, and
#                                         deletes it again on exit unless venv_finish ran
#   venv_finish                           records pip freeze, marks it complete, prints its path
#
# A venv counts only once its .complete marker exists (written last). Venvs are not
# relocatable, so each is built in place at its final path.

venv_begin() {
    VENV_TOOL="$1"
    CACHE="${WATERMARK_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/swift-watermark}"
    KEY="$(sha256sum "$3" | cut -c1-16)"
    VENV="$CACHE/python/$2-$KEY"
    PY="${PYTHON:-python3}"
    if venv_ok; then
        echo "$VENV"
        exit 0
    fi
    mkdir -p "$CACHE/python"
    # One build at a time per key: a second caller waits, then finds the finished venv.
    if command -v flock >/dev/null 2>&1; then
        exec 9>"$CACHE/python/.$2-$KEY.lock"
        if ! flock -n 9; then
            log "waiting for another build of $VENV ..."
            flock 9
        fi
        if venv_ok; then
            echo "$VENV"
            exit 0
        fi
    fi
}

log() { echo "$VENV_TOOL: $*" >&2; }

# Cheap on purpose: a reused venv is only checked to start (importing vLLM takes ~15 s).
venv_ok() { [[ -f "$VENV/.complete" ]] && "$VENV/bin/python" -c '' >/dev/null 2>&1; }

apt_install() {
    local sudo=()
    if [[ $(id -u) -ne 0 ]]; then
        if command -v sudo >/dev/null 2>&1; then
            sudo=(sudo -n)
        else
            log "need root (or sudo) to install: $*"
            exit 2
        fi
    fi
    if ! command -v apt-get >/dev/null 2>&1; then
        log "no apt-get: install these by hand: $*"
        exit 2
    fi
    log "installing system packages: $*"
    export DEBIAN_FRONTEND=noninteractive
    "${sudo[@]}" apt-get update -qq >&2
    "${sudo[@]}" apt-get install -y -qq --no-install-recommends "$@" >&2
}

# Prints the system packages still needed for Python and its venv module.
python_packages_needed() {
    if ! command -v "$PY" >/dev/null 2>&1; then
        echo python3 python3-venv
    elif ! "$PY" -c 'import venv, ensurepip' >/dev/null 2>&1; then
        echo python3-venv  # Debian's python3 ships venv's ensurepip separately
    fi
}

need_python_311() {
    if ! "$PY" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))'; then
        log "$PY is Python $("$PY" -c 'import sys; print(sys.version.split()[0])'); the pins need 3.11 (set PYTHON=...)"
        exit 2
    fi
}

venv_create() {
    if [[ -e "$VENV" ]]; then
        log "removing unfinished venv $VENV"
        rm -rf "$VENV"
    fi
    trap '[[ -f "$VENV/.complete" ]] || rm -rf "$VENV"' EXIT
    VENV_START=$SECONDS
    "$PY" -m venv "$VENV"
    export PIP_NO_INPUT=1 PIP_DISABLE_PIP_VERSION_CHECK=1
}

venv_finish() {
    "$VENV/bin/python" -m pip freeze --all >"$VENV/pip-freeze.txt"
    echo "$KEY" >"$VENV/.complete"
    log "ready in $((SECONDS - VENV_START)) s: $VENV"
    echo "$VENV"
}
