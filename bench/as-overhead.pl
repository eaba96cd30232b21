#!/usr/bin/perl
# as-overhead.pl: the build-time cost of afterburn-as against plain GNU as,
# measured on a real build: Linux 6.1 (tinyconfig + linux.config), the same
# kernel 'make check-linux' builds.
#
# Usage: bench/as-overhead.pl [--rounds=N] [--build-rounds=N] [--work=DIR]
#                             [--jobs=N] [--tarball=FILE]
#
# What it measures, all in one run, variants interleaved so that drift of a
# shared machine hits every variant alike:
#
#  1. The assembler step alone.  Once, a kernel build runs with a capturing
#     gcc -B directory whose 'as' copies every input gcc feeds it (the
#     compiler's .s output, the preprocessed .S files) and its arguments:
#     the corpus, one entry per object of vmlinux (~580).  Then, N rounds
#     (default 3), each variant assembles the whole corpus, one process per
#     file exactly as gcc calls it, in rotating order:
#       as                  GNU as itself
#       afterburn-as        as shipped: no options (the audit is on, in
#                           'warn' mode: afterburn-sites --verify, which
#                           runs objdump, checks every object)
#       afterburn-as warn   --afterburn-audit=warn, the same work asked for
#                           explicitly (option parsing has a cost of its own)
#       afterburn-as off    --afterburn-audit=off: rewriting only
#     The audit's share is the difference between the last two: both parse
#     the same options, so only the audit differs.
#  2. The whole build, end to end (--build-rounds, default 1; 0 skips it):
#     'make clean' and 'make -j vmlinux' with CC=gcc, then with
#     CC="gcc -B<afterburn bin>/", alternating (ABBA for 2 rounds).  The
#     ratio of the two is the build-time overhead a user sees; the goal is
#     at most 1.15.
#
# Every figure is measured in this run; ratios are of medians (with min and
# max shown).  Wall-clock times; the machine should be otherwise idle.
#
# Environment: top_srcdir, top_builddir (default: this tree), AFTERBURN_AS
# (default $top_builddir/afterburn/afterburn-as), AFTERBURN_SITES (default
# $top_builddir/afterburn-sites), REAL_AS (default: 'as' on PATH),
# LINUX_TARBALL, LINUX_WORK (the kernel work directory, shared with
# check-linux: default $top_builddir/testcases/linux/build), JOBS.
use v5.36;
use Cwd qw(abs_path getcwd);
use File::Basename qw(dirname);
use File::Path qw(make_path remove_tree);
use Getopt::Long qw(:config posix_default no_ignorecase);
use List::Util qw(sum);
use Time::HiRes qw(time);

my $PROG = 'as-overhead';
my $here = dirname(abs_path($0));
my $top_srcdir = abs_path($ENV{top_srcdir} // "$here/..");
my $top_builddir = abs_path($ENV{top_builddir} // $top_srcdir);

my %opt = (
	rounds => 3,
	'build-rounds' => 1,
	work => "$top_builddir/bench/work",
	jobs => $ENV{JOBS} // (qx(nproc 2>/dev/null) =~ /(\d+)/ ? $1 : 2),
	tarball => $ENV{LINUX_TARBALL} // '/usr/src/linux-source-6.1.tar.xz',
	'linux-work' => $ENV{LINUX_WORK} // "$top_builddir/testcases/linux/build",
	'afterburn-as' => $ENV{AFTERBURN_AS} // "$top_builddir/afterburn/afterburn-as",
	'afterburn-sites' => $ENV{AFTERBURN_SITES} // "$top_builddir/afterburn-sites",
	as => $ENV{REAL_AS} // 'as',
);
my @option_spec = (
	'rounds=i' => \$opt{rounds},
	'build-rounds=i' => \$opt{'build-rounds'},
	'work=s' => \$opt{work},
	'linux-work=s' => \$opt{'linux-work'},
	'jobs=i' => \$opt{jobs},
	'tarball=s' => \$opt{tarball},
	'afterburn-as=s' => \$opt{'afterburn-as'},
	'afterburn-sites=s' => \$opt{'afterburn-sites'},
	'as=s' => \$opt{as},
	'help|h' => sub { usage(); exit 0 },
);

sub usage {
	open my $fh, '<', $0 or die "$0: $!\n";
	while (<$fh>) {
		last if /^use /;
		next if $. == 1;
		s/^# ?//;
		print;
	}
	return;
}

sub error {
	my ($msg) = @_;
	print {*STDERR} "$PROG: $msg\n";
	exit 1;
}

sub note {
	my ($msg) = @_;
	print {*STDERR} "$PROG: $msg\n";
	return;
}

# The first 'as' on PATH (or the named one) that is not afterburn-as.
sub find_real_as {
	my ($name) = @_;
	return abs_path($name) if $name =~ m{/};
	for my $dir (split /:/, $ENV{PATH}) {
		my $p = "$dir/$name";
		next unless -x $p && !-d $p;
		open my $fh, '<', $p or next;
		read $fh, my $head, 4096;
		next if ($head // '') =~ /afterburn-as/;
		return $p;
	}
	error("no GNU as on PATH (set REAL_AS)");
	return;
}

## The corpus: what gcc feeds 'as' during one kernel build.

# A -B directory whose 'as' records its input and arguments, then runs the
# real as.  Config probes (-o /dev/null, temporary files) are not recorded.
sub write_capture_as {
	my ($bindir, $corpus, $real_as) = @_;
	make_path($bindir, $corpus);
	open my $fh, '>', "$bindir/as" or error("$bindir/as: $!");
	print {$fh} <<"EOF";
#!/bin/sh
# Written by bench/as-overhead.pl: record gcc's assembler inputs.
out= prev= last=
for a in "\$@"; do
	[ "\$prev" = -o ] && out=\$a
	prev=\$a last=\$a
done
case \$out in
*.o)
	if [ -f "\$last" ]; then
		n=\$(mktemp '$corpus/s.XXXXXXXX')
		cp "\$last" "\$n.s"
		{ pwd; printf '%s\\n' "\$@"; } > "\$n.args"
	fi ;;
esac
exec '$real_as' "\$@"
EOF
	close $fh or error("$bindir/as: $!");
	chmod 0755, "$bindir/as";
	return;
}

# Entries: { id, cwd, args (with '\@OUT\@' for the object), input, bytes }.
sub load_corpus {
	my ($corpus) = @_;
	my @entries;
	for my $argf (sort glob "$corpus/s.*.args") {
		(my $input = $argf) =~ s/\.args$/.s/;
		open my $fh, '<', $argf or error("$argf: $!");
		chomp(my @lines = <$fh>);
		my $cwd = shift @lines;
		pop @lines;			# gcc's temporary input file
		for my $i (0 .. $#lines - 1) {
			$lines[$i + 1] = '@OUT@' if $lines[$i] eq '-o';
		}
		(my $id = $argf) =~ s{.*/s\.(\w+)\.args$}{$1};
		push @entries, { id => $id, cwd => $cwd, args => \@lines,
				 input => $input, bytes => -s $input };
	}
	return \@entries;
}

sub build_linux {
	my (@args) = @_;
	my @cmd = ("$top_srcdir/testcases/linux/build-linux.sh",
		   "--work=$opt{'linux-work'}", "--tarball=$opt{tarball}",
		   "--jobs=$opt{jobs}", @args);
	my ($t0, $c0) = (time, child_cpu());
	my $out = qx{@{[join ' ', map { shell_quote($_) } @cmd]}};
	error("build failed: @cmd") if $?;
	return [time - $t0, child_cpu() - $c0];
}

# User plus system time of the finished children: unlike wall-clock time,
# it hardly moves when other work shares the machine.
sub child_cpu {
	my (undef, undef, $cuser, $csys) = times;
	return $cuser + $csys;
}

sub shell_quote {
	my ($s) = @_;
	return $s if $s =~ m{^[\w./=+:,-]+$};
	$s =~ s/'/'\\''/g;
	return "'$s'";
}

sub ensure_corpus {
	my ($real_as) = @_;
	my $corpus = "$opt{work}/corpus";
	return load_corpus($corpus) if -f "$corpus/.complete";
	remove_tree($corpus);
	write_capture_as("$opt{work}/capture-bin", $corpus, $real_as);
	note("capturing the assembler inputs of a Linux build (once) into $corpus");
	build_linux('--variant=afterburn', "--bindir=$opt{work}/capture-bin",
		    '--name=bench-capture', '--clean');
	open my $fh, '>', "$corpus/.complete" or error("$corpus: $!");
	close $fh;
	return load_corpus($corpus);
}

## Timing.

# Assemble every corpus entry with @$prog (plus its arguments), one process
# each; stderr goes to $log.  Returns the wall-clock seconds.
sub assemble_corpus {
	my ($entries, $prog, $env, $outdir, $log) = @_;
	local %ENV = (%ENV, %$env);
	delete $ENV{$_} for grep { !defined $env->{$_} } keys %$env;
	open my $saved, '>&', \*STDERR or error("dup stderr: $!");
	open STDERR, '>>', $log or error("$log: $!");
	my $cwd = getcwd();
	my $failed;
	my ($t0, $c0) = (time, child_cpu());
	for my $e (@$entries) {
		chdir $e->{cwd} or error("$e->{cwd}: $!");
		my @args = map { $_ eq '@OUT@' ? "$outdir/$e->{id}.o" : $_ } @{$e->{args}};
		system { $prog->[0] } @$prog, @args, $e->{input};
		$failed //= "$e->{input} (exit status " . ($? >> 8) . ')' if $?;
	}
	my $elapsed = [time - $t0, child_cpu() - $c0];
	chdir $cwd;
	open STDERR, '>&', $saved or die "restore stderr: $!";
	error("@$prog failed on $failed; see $log") if defined $failed;
	return $elapsed;
}

sub median {
	my (@v) = @_;
	my @s = sort { $a <=> $b } @v;
	return @s % 2 ? $s[$#s / 2] : ($s[@s / 2 - 1] + $s[@s / 2]) / 2;
}

sub row {
	my ($label, $times, $cpu, $per) = @_;
	my @t = @$times;
	my @s = sort { $a <=> $b } @t;
	my $line = sprintf "  %-26s %8.2f %8.2f %8.2f %8.2f", $label, $s[0], median(@t), $s[-1],
		median(@$cpu);
	$line .= sprintf "  %7.2f", 1000 * median(@t) / $per if $per;
	return "$line\n";
}

sub min {
	my (@v) = @_;
	return (sort { $a <=> $b } @v)[0];
}

# Rounds in rotating order: round r starts with variant r mod n.  $run
# returns [wall, cpu] seconds; so does interleave, per variant, as lists.
sub interleave {
	my ($rounds, $variants, $run) = @_;
	my (%times, %cpu);
	for my $r (0 .. $rounds - 1) {
		my @order = map { $variants->[($r + $_) % @$variants] } 0 .. $#$variants;
		@order = reverse @order if @$variants == 2 && $r % 2;	# ABBA
		for my $v (@order) {
			my ($t, $c) = @{$run->($v, $r)};
			note(sprintf "  round %d  %-22s %8.2f s  (cpu %.2f s)", $r + 1, $v, $t, $c);
			push @{$times{$v}}, $t;
			push @{$cpu{$v}}, $c;
		}
	}
	return (\%times, \%cpu);
}

## Main.

{
	local $SIG{__WARN__} = sub { error("$_[0](try --help)") };
	GetOptions(@option_spec) or error('bad options (try --help)');
}
error('--rounds must be at least 1') if $opt{rounds} < 1;
$opt{work} = abs_path($opt{work}) // $opt{work};
make_path($opt{work}, $opt{'linux-work'});
error("no kernel source at $opt{tarball}: sudo apt-get install linux-source-6.1")
	unless -r $opt{tarball};
my $afb = $opt{'afterburn-as'};
error("no afterburn-as at $afb (run make first)") unless -x $afb;
my $afb_bindir = dirname($afb) . '/bin';
error("no $afb_bindir/as (the gcc -B directory; run make first)") unless -x "$afb_bindir/as";
my $real_as = find_real_as($opt{as});
$ENV{AFTERBURN_SITES} = $opt{'afterburn-sites'} if -x $opt{'afterburn-sites'};
note("AFTERBURN_SITES not found: the audit will be skipped") unless $ENV{AFTERBURN_SITES};

my $entries = ensure_corpus($real_as);
error('the corpus is empty') unless @$entries;
my $bytes = sum(map { $_->{bytes} } @$entries);
my $kver = qx{make -s -C '$opt{'linux-work'}/src' kernelversion 2>/dev/null};
chomp $kver;

my %variants = (
	'as' => [[$real_as], {}],
	'afterburn-as' => [[$afb], { AFTERBURN_AS_FLAGS => undef }],
	'afterburn-as warn' => [[$afb], { AFTERBURN_AS_FLAGS => '--afterburn-audit=warn' }],
	'afterburn-as off' => [[$afb], { AFTERBURN_AS_FLAGS => '--afterburn-audit=off' }],
);
my @asm_order = ('as', 'afterburn-as', 'afterburn-as warn', 'afterburn-as off');
my $outdir = "$opt{work}/objects";
my $log = "$opt{work}/assemble.log";
make_path($outdir);
unlink $log;
note(sprintf "assembling %d files (%.1f MB) x %d variants x %d rounds",
     scalar @$entries, $bytes / 1e6, scalar @asm_order, $opt{rounds});
my ($asm, $asm_cpu) = interleave($opt{rounds}, \@asm_order, sub {
	my ($v, $r) = @_;
	assemble_corpus($entries, @{$variants{$v}}, $outdir, $log);
});
my $audit_msgs = 0;
if (open my $fh, '<', $log) {
	$audit_msgs = grep { /afterburn-as: (warning|error)/ } <$fh>;
}

my ($builds, $builds_cpu);
if ($opt{'build-rounds'} > 0) {
	note("end-to-end vmlinux builds, $opt{'build-rounds'} round(s) (make clean each time)");
	($builds, $builds_cpu) = interleave($opt{'build-rounds'}, ['plain', 'afterburn'], sub {
	my ($v, $r) = @_;
		# afterburn-as as shipped: no options.
		build_linux("--variant=$v", "--name=bench-$v", '--clean',
			    $v eq 'afterburn' ? ("--bindir=$afb_bindir", '--as-flags=') : ());
	});
}

## Report.

my $n = @$entries;
my %m = map { $_ => median(@{$asm->{$_}}) } @asm_order;
print "Afterburner build-time overhead: afterburn-as against GNU as\n";
printf "Linux %s (tinyconfig + testcases/linux/linux.config), %d CPUs, %s\n",
	$kver || '?', $opt{jobs}, scalar localtime;
printf "\nAssembler step: %d inputs gcc gave as in one vmlinux build (%.1f MB),\n", $n, $bytes / 1e6;
printf "one process per file, %d round(s), variants interleaved; seconds per corpus\n", $opt{rounds};
print "(wall clock min/median/max; cpu: median user+sys of the processes):\n\n";
printf "  %-26s %8s %8s %8s %8s  %7s\n", 'variant', 'min', 'median', 'max', 'cpu', 'ms/file';
print row($_, $asm->{$_}, $asm_cpu->{$_}, $n) for @asm_order;
printf "\n  ratio afterburn-as / as, as shipped     %6.2f\n", $m{'afterburn-as'} / $m{as};
printf "  ratio afterburn-as / as, audit off      %6.2f\n", $m{'afterburn-as off'} / $m{as};
printf "  the same as shipped, in CPU time        %6.2f\n",
	median(@{$asm_cpu->{'afterburn-as'}}) / median(@{$asm_cpu->{as}});
my $audit = $m{'afterburn-as warn'} - $m{'afterburn-as off'};
printf "  audit's share of afterburn-as's time    %5.0f %%  (%.1f ms per object)\n",
	100 * $audit / $m{'afterburn-as warn'}, 1000 * $audit / $n;
printf "  extra cost of giving an --afterburn option: %.1f ms per call\n",
	1000 * ($m{'afterburn-as warn'} - $m{'afterburn-as'}) / $n;
printf "  audit messages in %s: %d\n", $log, $audit_msgs;

if ($builds) {
	my $p = median(@{$builds->{plain}});
	my $a = median(@{$builds->{afterburn}});
	printf "\nEnd-to-end: make clean; make -j%d vmlinux, %d round(s) interleaved; seconds:\n\n",
		$opt{jobs}, $opt{'build-rounds'};
	printf "  %-26s %8s %8s %8s %8s\n", 'variant', 'min', 'median', 'max', 'cpu';
	print row('CC=gcc (GNU as)', $builds->{plain}, $builds_cpu->{plain}, 0);
	print row('CC="gcc -B..." (afterburn)', $builds->{afterburn}, $builds_cpu->{afterburn}, 0);
	my $ratio = $a / $p;
	my $cpu_ratio = median(@{$builds_cpu->{afterburn}}) / median(@{$builds_cpu->{plain}});
	printf "\n  ratio afterburnt / plain build          %6.2f   (goal <= 1.15: %s)\n",
		$ratio, $ratio <= 1.15 ? 'met' : 'NOT met';
	printf "  the same, fastest runs only             %6.2f\n",
		min(@{$builds->{afterburn}}) / min(@{$builds->{plain}});
	printf "  the same in CPU time (user+sys)         %6.2f   (robust to other load)\n", $cpu_ratio;
	my $extra = median(@{$asm_cpu->{'afterburn-as'}}) - median(@{$asm_cpu->{as}});
	printf "  expected from the assembler step alone  %6.2f   (plain build CPU + %.1f s of extra\n"
	     . "                                                   assembler CPU, from the corpus)\n",
		1 + $extra / median(@{$builds_cpu->{plain}}), $extra;
}
exit 0;
