# fish completion for twctl. Commands, options and task names come from
# twctl itself (list-commands, COMMAND -h, list -q).

function __twctl_verb
	set -l words (commandline -opc)
	set -e words[1]
	while set -q words[1]
		switch $words[1]
			case -s --socket
				set -e words[1]
			case '-*'
			case '*'
				echo $words[1]
				return 0
		end
		set -e words[1]
	end
	return 1
end

# --socket PATH as given on the line, for the calls that ask the daemon.
function __twctl_socket
	set -l words (commandline -opc)
	while set -q words[2]
		if contains -- $words[1] -s --socket
			echo --socket
			echo $words[2]
			return 0
		end
		set -e words[1]
	end
end

# show TASK FIELD...: true once the task is on the line.
function __twctl_show_has_task
	set -l words (commandline -opc)
	test (__twctl_verb) = show; or return 1
	set -l after (contains -i -- show $words)
	for w in $words[(math $after + 1)..-1]
		string match -q -- '-*' $w; or return 0
	end
	return 1
end

function __twctl_verb_options
	twctl (__twctl_verb) -h 2>/dev/null | string match -r -a -- '--[a-z-]+' | string sub -s 3 | sort -u
end

complete -c twctl -f
complete -c twctl -n 'not __twctl_verb' -s j -l json -d 'print JSON only'
complete -c twctl -n 'not __twctl_verb' -l no-pager -d 'never page long output'
complete -c twctl -n 'not __twctl_verb' -s s -l socket -r -F -d 'daemon socket'
complete -c twctl -n 'not __twctl_verb' -s V -l version -d 'print the version'
complete -c twctl -n 'not __twctl_verb' -s h -l help -d 'print the commands'
complete -c twctl -n 'not __twctl_verb' -a '(twctl list-commands --describe 2>/dev/null)'
complete -c twctl -n '__twctl_verb' -l json -d 'print JSON only'
complete -c twctl -n '__twctl_verb' -l no-pager -d 'never page long output'
complete -c twctl -n '__twctl_verb' -a '(__twctl_verb_options | string replace -r "^" -- "--")'
complete -c twctl -n 'contains -- (__twctl_verb) help' -a '(twctl list-commands 2>/dev/null)'
complete -c twctl -n 'contains -- (__twctl_verb) kill' -s s -l signal -x -a '(twctl list-values signals 2>/dev/null)' -d 'signal'
complete -c twctl -n 'contains -- (__twctl_verb) history' -s s -l status -x -a '(twctl list-values statuses 2>/dev/null)' -d 'status'
complete -c twctl -n 'contains -- (__twctl_verb) report' -s f -l format -x -a 'text html' -d 'format'
complete -c twctl -n 'contains -- (__twctl_verb) report' -s d -l state-dir -x -a '(__fish_complete_directories)' -d 'read this history, no daemon'
complete -c twctl -n 'contains -- (__twctl_verb) cron' -s z -l tz -x -a '(twctl list-values zones 2>/dev/null)' -d 'time zone'
complete -c twctl -n 'contains -- (__twctl_verb) run history kill logs next report show pause resume wait why' -a '(twctl (__twctl_socket) list -q 2>/dev/null)'
complete -c twctl -n '__twctl_show_has_task' -a '(twctl list-values fields 2>/dev/null)' -d 'field'
complete -c twctl -n 'contains -- (__twctl_verb) submit' -a '(__fish_complete_command)'
complete -c twctl -n 'contains -- (__twctl_verb) submit' -s a -l after -x -a '(twctl (__twctl_socket) list -q 2>/dev/null)' -d 'start once a task or run has succeeded'
complete -c twctl -n 'contains -- (__twctl_verb) submit' -s d -l after-previous -d 'start once the job submitted before it has succeeded'
complete -c twctl -n 'contains -- (__twctl_verb) submit' -l at -x -d 'start no sooner than a time'
complete -c twctl -n 'contains -- (__twctl_verb) submit' -l clean-env -d "run it with twd's environment, not this shell's"
complete -c twctl -n 'contains -- (__twctl_verb) submit' -l cpus -x -d 'the CPUs it needs, as 0.5'
complete -c twctl -n 'contains -- (__twctl_verb) submit' -l delay -x -d 'start no sooner than a duration from now'
complete -c twctl -n 'contains -- (__twctl_verb) submit' -l memory -x -d 'the memory it needs, as 600M'
complete -c twctl -n 'contains -- (__twctl_verb) check import-crontab init' -F
complete -c twctl -n 'contains -- (__twctl_verb) web; and not __fish_seen_subcommand_from stop token tokens' -a 'stop token tokens' -d 'twweb'
complete -c twctl -n 'contains -- (__twctl_verb) web; and __fish_seen_subcommand_from token' -a 'new' -d 'make a token'
