# Activate this virtual environment in bash or zsh:
#
#     source __VIRTUAL_ENV_BIN__/activate
#
# It must be sourced, not run. `deactivate` undoes it.

deactivate () {
    if [ -n "${_OLD_VIRTUAL_PATH+set}" ] ; then
        PATH="$_OLD_VIRTUAL_PATH"
        export PATH
        unset _OLD_VIRTUAL_PATH
    fi
    if [ -n "${_OLD_VIRTUAL_PYTHONHOME+set}" ] ; then
        PYTHONHOME="$_OLD_VIRTUAL_PYTHONHOME"
        export PYTHONHOME
        unset _OLD_VIRTUAL_PYTHONHOME
    fi
    if [ -n "${_OLD_VIRTUAL_PS1+set}" ] ; then
        PS1="$_OLD_VIRTUAL_PS1"
        export PS1
        unset _OLD_VIRTUAL_PS1
    fi
    unset VIRTUAL_ENV
    unset VIRTUAL_ENV_PROMPT
    # The shell may remember where commands were found before the change.
    hash -r 2> /dev/null
    if [ "${1:-}" != "nondestructive" ] ; then
        unset -f deactivate
    fi
}

# Leave any environment active before this one.
deactivate nondestructive

VIRTUAL_ENV=__VIRTUAL_ENV__
export VIRTUAL_ENV

_OLD_VIRTUAL_PATH="$PATH"
PATH="$VIRTUAL_ENV/__BIN_NAME__:$PATH"
export PATH

VIRTUAL_ENV_PROMPT=__VIRTUAL_PROMPT__
export VIRTUAL_ENV_PROMPT

# PYTHONHOME would point the environment's interpreter elsewhere.
if [ -n "${PYTHONHOME+set}" ] ; then
    _OLD_VIRTUAL_PYTHONHOME="$PYTHONHOME"
    unset PYTHONHOME
fi

if [ -z "${VIRTUAL_ENV_DISABLE_PROMPT:-}" ] ; then
    _OLD_VIRTUAL_PS1="${PS1:-}"
    PS1="(${VIRTUAL_ENV_PROMPT}) ${PS1:-}"
    export PS1
fi

hash -r 2> /dev/null
