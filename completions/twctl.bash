# bash completion for twctl. Commands, options and task names all come from
# twctl itself (list-commands, COMMAND -h, list -q), so nothing here goes
# stale when a command is added.

_twctl() {
	local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]}
	local i verb="" sock=()

	for ((i = 1; i < COMP_CWORD; i++)); do
		case ${COMP_WORDS[i]} in
		-s | --socket)
			sock=(--socket "${COMP_WORDS[i+1]}")
			((i++))
			;;
		-*) ;;
		*)
			verb=${COMP_WORDS[i]}
			break
			;;
		esac
	done

	# An option's value: its values come from twctl too.
	case $verb:$prev in
	kill:-s | kill:--signal)
		COMPREPLY=($(compgen -W "$(twctl list-values signals 2>/dev/null)" -- "$cur"))
		return
		;;
	history:-s | history:--status)
		COMPREPLY=($(compgen -W "$(twctl list-values statuses 2>/dev/null)" -- "$cur"))
		return
		;;
	report:-f | report:--format)
		COMPREPLY=($(compgen -W "text html" -- "$cur"))
		return
		;;
	report:-d | report:--state-dir)
		COMPREPLY=($(compgen -d -- "$cur"))
		return
		;;
	cron:-z | cron:--tz)
		COMPREPLY=($(compgen -W "$(twctl list-values zones 2>/dev/null)" -- "$cur"))
		return
		;;
	:-s | :--socket | *:--socket)
		COMPREPLY=($(compgen -f -- "$cur"))
		return
		;;
	esac
	if [[ -z $verb ]]; then
		if [[ $cur == -* ]]; then
			COMPREPLY=($(compgen -W "--json --no-pager --socket --version --help" -- "$cur"))
		else
			COMPREPLY=($(compgen -W "$(twctl list-commands 2>/dev/null)" -- "$cur"))
		fi
		return
	fi
	if [[ $cur == -* ]]; then
		COMPREPLY=($(compgen -W "$(twctl "$verb" -h 2>/dev/null |
			grep -o -- '--[a-z-]*' | sort -u) --json --no-pager --help" -- "$cur"))
		return
	fi
	case $verb in
	help)
		COMPREPLY=($(compgen -W "$(twctl list-commands 2>/dev/null)" -- "$cur"))
		;;
	run | history | kill | logs | next | report | show | pause | resume | wait | why)
		# show TASK FIELD...: after the task, the tasks file's fields.
		if [[ $verb == show && $prev != show && $prev != -* ]]; then
			COMPREPLY=($(compgen -W "$(twctl list-values fields 2>/dev/null)" -- "$cur"))
		else
			COMPREPLY=($(compgen -W "$(twctl "${sock[@]}" list -q 2>/dev/null)" -- "$cur"))
		fi
		;;
	check | import-crontab | init)
		COMPREPLY=($(compgen -f -- "$cur"))
		;;
	web)
		case $prev in
		web) COMPREPLY=($(compgen -W "stop token tokens" -- "$cur")) ;;
		token) COMPREPLY=($(compgen -W "new" -- "$cur")) ;;
		esac
		;;
	submit)
		# A task for --after; else the job's command.
		if [[ $prev == -a || $prev == --after ]]; then
			COMPREPLY=($(compgen -W "$(twctl "${sock[@]}" list -q 2>/dev/null)" -- "$cur"))
		else
			COMPREPLY=($(compgen -c -- "$cur"))
		fi
		;;
	esac
}
complete -F _twctl twctl
