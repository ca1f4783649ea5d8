/// bash, zsh and fish completions for `kosmo-lua`, written from the commands' help texts:
/// the subcommands as a first argument (any other first word is a script), each command's
/// options, and files or folders for the values that name them.
enum CompletionScripts {
    enum Shell: String, CaseIterable { case bash, zsh, fish }

    static func script(for shell: Shell, root: HelpText, commands: [CommandLineDocs.Command]) -> String {
        switch shell {
        case .bash: return bash(root: root, commands: commands)
        case .zsh: return zsh(root: root, commands: commands)
        case .fish: return fish(root: root, commands: commands)
        }
    }

    /// Options a shell offers: `--`, `-` and the like are not.
    static func offered(_ help: HelpText) -> [HelpText.Option] {
        help.options.filter { option in option.names.contains { $0.count > 1 && $0 != "--" } }
    }

    static func names(_ options: [HelpText.Option], _ kind: HelpText.Option.ValueKind? = nil) -> String {
        options.filter { kind == nil || $0.valueKind == kind }.flatMap(\.names).filter { $0 != "--" && $0 != "-" }.joined(separator: " ")
    }

    // MARK: bash

    static func bash(root: HelpText, commands: [CommandLineDocs.Command]) -> String {
        let subcommands = commands.map(\.name).joined(separator: " ")
        func arm(_ name: String, _ help: HelpText) -> String {
            let options = offered(help)
            return """
                    \(name))
                        opts="\(names(options))"
                        dirs="\(names(options, .directory))"
                        files="\(names(options, .file))"
                        words="\(names(options, .word))"
                        ;;

                """
        }
        var script = """
            # bash completion for kosmo-lua (kosmo-lua --generate-completion-script bash; from its --help texts)
            _kosmo_lua() {
                local cur="${COMP_WORDS[COMP_CWORD]}" prev="${COMP_WORDS[COMP_CWORD-1]}"
                local command="" opts dirs files words
                # A subcommand only as the first word: any other first word is a script to run.
                if [[ $COMP_CWORD -ge 2 ]]; then
                    case "${COMP_WORDS[1]}" in \(commands.map(\.name).joined(separator: "|"))) command="${COMP_WORDS[1]}" ;; esac
                fi
                case "$command" in

            """
        for command in commands { script += arm(command.name, command.help) }
        script += arm("*", root)
        script += """
                esac
                if [[ " $dirs " == *" $prev "* ]]; then COMPREPLY=($(compgen -d -- "$cur")); return; fi
                if [[ " $files " == *" $prev "* ]]; then COMPREPLY=($(compgen -f -- "$cur")); return; fi
                if [[ " $words " == *" $prev "* ]]; then COMPREPLY=(); return; fi
                if [[ "$cur" == -* ]]; then COMPREPLY=($(compgen -W "$opts" -- "$cur")); return; fi
                if [[ -z "$command" && $COMP_CWORD -eq 1 ]]; then
                    COMPREPLY=($(compgen -W "\(subcommands)" -- "$cur") $(compgen -f -- "$cur"))
                    return
                fi
                COMPREPLY=($(compgen -f -- "$cur"))
            }
            complete -o filenames -o bashdefault -F _kosmo_lua kosmo-lua

            """
        return script
    }

    // MARK: zsh

    /// Text inside a zsh `_arguments` spec or `_describe` entry.
    static func zshQuoted(_ text: String) -> String {
        var out = ""
        for character in text {
            switch character {
            case "'": out += "'\\''"
            case "[", "]", ":", "\\": out += "\\" + String(character)
            default: out.append(character)
            }
        }
        return out
    }

    static func zshSpecs(_ help: HelpText) -> String {
        offered(help).flatMap { option in
            option.names.filter { $0 != "--" && $0 != "-" }.map { name in
                var spec = "'\(name)[\(zshQuoted(option.description))]"
                switch option.valueKind {
                case .none: break
                case .directory: spec += ":\(zshQuoted(option.value ?? "dir")):_files -/"
                case .file: spec += ":\(zshQuoted(option.value ?? "file")):_files"
                case .word: spec += ":\(zshQuoted(option.value ?? "value")): "
                }
                return spec + "'"
            }
        }.map { "        " + $0 + " \\\n" }.joined()
    }

    static func zsh(root: HelpText, commands: [CommandLineDocs.Command]) -> String {
        var script = """
            #compdef kosmo-lua
            # zsh completion for kosmo-lua (kosmo-lua --generate-completion-script zsh; from its --help texts)
            _kosmo_lua() {
              local -a subcommands
              subcommands=(

            """
        for command in commands { script += "    '\(command.name):\(zshQuoted(command.summary))'\n" }
        script += """
              )
              if (( CURRENT > 2 )); then
                case ${words[2]} in

            """
        for command in commands {
            script += "  (\(command.name))\n    shift words; (( CURRENT-- ))\n    _arguments -s \\\n\(zshSpecs(command.help))        '*:file:_files'\n    return ;;\n"
        }
        script += """
                esac
              fi
              if (( CURRENT == 2 )) && [[ $PREFIX != -* ]]; then
                _describe -t commands 'kosmo-lua command' subcommands
                _files
                return
              fi
              _arguments -s \\

            """
        script += zshSpecs(root) + "        '*:script:_files'\n}\n_kosmo_lua \"$@\"\n"
        return script
    }

    // MARK: fish

    static func fishQuoted(_ text: String) -> String {
        "'" + text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "'", with: "\\'") + "'"
    }

    static func fish(root: HelpText, commands: [CommandLineDocs.Command]) -> String {
        let list = commands.map(\.name).joined(separator: " ")
        var script = "# fish completion for kosmo-lua (kosmo-lua --generate-completion-script fish; from its --help texts)\n"
        script += "function __kosmo_lua_no_subcommand\n    set -l words (commandline -opc)\n    test (count $words) -le 1\nend\n"
        script += "function __kosmo_lua_using\n    set -l words (commandline -opc)\n    test (count $words) -ge 2; and test $words[2] = $argv[1]\nend\n"
        for command in commands {
            script += "complete -c kosmo-lua -n __kosmo_lua_no_subcommand -a \(command.name) -d \(fishQuoted(command.summary))\n"
        }
        func lines(_ help: HelpText, condition: String) -> String {
            offered(help).flatMap { option in
                option.names.filter { $0 != "--" && $0 != "-" }.map { name in
                    var line = "complete -c kosmo-lua -n \(condition) "
                    line += name.hasPrefix("--") ? "-l \(name.dropFirst(2))" : "-s \(name.dropFirst())"
                    switch option.valueKind {
                    case .none: break
                    case .directory: line += " -r -a '(__fish_complete_directories)'"
                    case .file: line += " -r -F"
                    case .word: line += " -r -f"
                    }
                    return line + " -d \(fishQuoted(option.description))\n"
                }
            }.joined()
        }
        script += lines(root, condition: "'not __fish_seen_subcommand_from \(list)'")
        for command in commands { script += lines(command.help, condition: "'__kosmo_lua_using \(command.name)'") }
        return script
    }
}
