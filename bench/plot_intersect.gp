# Plots of lps-bench-intersect --csv output, as SVG:
#   intersect.svg  ns per input posting against the length ratio, per
#                  variant, dense and sparse lists side by side
#   decode.svg     billions of integers per second against the bit width
#
#   gnuplot -e "csv='bench_intersect.csv'; outdir='docs/img'" bench/plot_intersect.gp
#
# Needs awk to select rows.  CSV columns: 1 bench, 2 variant, 3 density,
# 4 ratio, 5 width, 14 ns per posting (or per integer), 18 billions of
# integers per second.
if (!exists("csv")) csv = 'bench_intersect.csv'
if (!exists("outdir")) outdir = '.'

# The rows of one series, ordered as the benchmark writes them.
rows(bench, variant, density) = sprintf("< awk -F, '$1 == \"%s\" && $2 == \"%s\" && $3 == \"%s\"' '%s'", \
                                        bench, variant, density, csv)

set datafile separator ','
set grid

variants = 'merge gallop sse41 avx2 avx2_gallop intersect_u32 cursor decode+simd'
colors = '#7b3294 #1b9e77 #56b4e9 #e69f00 #d62728 #000000 #8c564b #7f7f7f'
# Solid: decoded arrays; dashed: compressed postings.

set terminal svg size 1100,560 dynamic noenhanced font 'sans,12'
set output outdir.'/intersect.svg'
set multiplot layout 1,2 title 'Intersection of sorted doc-id lists: long list of 1M, short list 1M/ratio (median ns per input posting)'
set logscale xy
set xlabel 'length ratio (long / short)'
set ylabel 'ns per input posting (na + nb)'
set xrange [0.7:14000]
set yrange [0.002:50]
set format x '1:%g'
set bmargin 8
do for [d in 'dense sparse'] {
    set title d.' lists (the long list holds 1 document in '.(d eq 'dense' ? '2' : '16').')'
    if (d eq 'dense') { set key at screen 0.5, 0.03 center bottom horizontal maxrows 2 } else { unset key }
    plot for [i = 1:words(variants)] rows('intersect', word(variants, i), d) using 4:14 \
             with linespoints lw (i == 6 ? 2 : 1.3) lc rgb word(colors, i) dt 1 + (i > 6) \
             title word(variants, i), \
         1 with lines dashtype 2 lc rgb 'black' title '1 ns target'
}
unset multiplot

set terminal svg size 800,480 dynamic noenhanced font 'sans,12'
set output outdir.'/decode.svg'
unset logscale
set bmargin
set format x '%g'
set key default
set key inside right center vertical
set title 'bitpack_decode_block: full 128-value blocks (256 of them, in L1/L2)'
set xlabel 'bit width'
set ylabel 'billions of integers per second'
set xrange [0.5:32.5]
set yrange [0:*]
plot for [v in 'scalar avx2'] rows('decode', v, '') using 5:18 with linespoints lw 1.3 title v, \
     2 with lines dashtype 2 lc rgb 'black' title '2 G/s target'
