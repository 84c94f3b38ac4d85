# SPDX-License-Identifier: ISC
# bash completion for pvbuild(1), installed as
# share/bash-completion/completions/pvbuild: the commands, then each
# command's options (the ones its --help lists; tests/package.bats keeps
# them equal), the values of the options that take a few, files for a
# kernel, an initrd or a plan, and directories for --out and --keep.

# COMPREPLY from compgen ARGS..., a word a line, so that a file name with
# spaces stays one word.
_pvbuild_reply() {
	mapfile -t COMPREPLY < <(compgen "$@")
}

_pvbuild() {
	local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD - 1]}
	local opts

	if [ "$COMP_CWORD" -eq 1 ]; then
		_pvbuild_reply -W 'build elfinfo layout populate pagetables
			finalize boot show help --exec-path --help --version' -- "$cur"
		return
	fi
	if [ "${COMP_WORDS[1]}" = help ]; then
		[ "$COMP_CWORD" -eq 2 ] && _pvbuild_reply -W 'build elfinfo
			layout populate pagetables finalize boot show' -- "$cur"
		return
	fi
	case $prev in
	--out | --keep)
		_pvbuild_reply -d -- "$cur"
		return ;;
	--initrd | --prefetch | --config)
		_pvbuild_reply -f -- "$cur"
		return ;;
	--backend)
		_pvbuild_reply -W 'sim xen' -- "$cur"
		return ;;
	--with)
		_pvbuild_reply -W 'kvm qemu' -- "$cur"
		return ;;
	--cmdline | --disk | --max-size | --maxmem | --memory | --name | --nic | \
	--reserve | --scatter | --timeout | --vcpus)
		# A value no list holds: nothing to offer.
		COMPREPLY=()
		return ;;
	esac
	case ${COMP_WORDS[1]} in
	build)
		opts='--backend --cmdline --config --disk --dry-run --initrd --keep
			--maxmem --memory --name --nic --no-cache --out --paused --pvh
			--scatter --sync --vcpus --wait' ;;
	elfinfo)
		opts='--max-size --no-cache --pvh' ;;
	layout)
		opts='--cmdline --disk --initrd --maxmem --memory --name --nic
			--no-cache --vcpus' ;;
	populate | pagetables)
		opts= ;;
	finalize)
		opts='--backend --initrd --json --maxmem --memory --name --no-cache --out --paused
			--prefetch --reserve --scatter --sync --vcpus --wait' ;;
	boot)
		opts='--timeout --with' ;;
	show)
		# A plan, or a sim domain's directory: files offer both.
		opts='--svg' ;;
	*)
		COMPREPLY=()
		return ;;
	esac
	if [[ $cur == -* ]]; then
		_pvbuild_reply -W "$opts --help --version" -- "$cur"
	elif [ "${COMP_WORDS[1]}" = boot ]; then
		# boot's operand is a sim domain: a directory.
		_pvbuild_reply -d -- "$cur"
	else
		_pvbuild_reply -f -- "$cur"
	fi
}
complete -o filenames -F _pvbuild pvbuild
