# Activate this virtual environment in csh or tcsh:
#
#     source __VIRTUAL_ENV_BIN__/activate.csh
#
# `deactivate` undoes it.

alias deactivate 'test $?_OLD_VIRTUAL_PATH != 0 && setenv PATH "$_OLD_VIRTUAL_PATH:q" && unset _OLD_VIRTUAL_PATH; rehash; test $?_OLD_VIRTUAL_PROMPT != 0 && set prompt="$_OLD_VIRTUAL_PROMPT:q" && unset _OLD_VIRTUAL_PROMPT; unsetenv VIRTUAL_ENV; unsetenv VIRTUAL_ENV_PROMPT; test "\!:*" != "nondestructive" && unalias deactivate'

# Leave any environment active before this one.
deactivate nondestructive

setenv VIRTUAL_ENV __VIRTUAL_ENV__

set _OLD_VIRTUAL_PATH="$PATH:q"
setenv PATH "$VIRTUAL_ENV:q/__BIN_NAME__:$PATH:q"

setenv VIRTUAL_ENV_PROMPT __VIRTUAL_PROMPT__

if ( $?prompt ) then
    set _OLD_VIRTUAL_PROMPT="$prompt:q"
    if ( ! $?VIRTUAL_ENV_DISABLE_PROMPT ) then
        set prompt = "($VIRTUAL_ENV_PROMPT:q) $prompt:q"
    endif
endif

rehash
