package io.backup4j.benchmarks;

import java.nio.charset.StandardCharsets;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Generates table-dump-like text that compresses about as well as real production tables: roughly 2x with zstd -1.
 *
 * <p>Each line is one row in PostgreSQL COPY text format (tab-separated, {@code \N} for NULL) of an imagined
 * {@code orders} table:
 *
 * <pre>
 * id  customer_id  created_at                  updated_at | \N   amount   qty  status   currency  sha256 (64 hex)  email                     note (free text)
 * 17  482113       2026-03-01 10:22:31.123456  ...                1532.07  3    shipped  EUR       9f86d0...         anna.meyer42@example.org  the order was ...
 * </pre>
 *
 * <p>Why this mix: sequential ids and clustered timestamps compress well, as in real tables; random customer ids,
 * amounts and microseconds do not; a hex SHA-256 is half entropy; the free text is drawn from a word list with a
 * Zipf-like skew, as natural text is. Neither zeros nor pgbench's blank-padded rows (which zstd shrinks 118x) — those
 * make every compressor look fast.
 *
 * <p>Deterministic for a seed, so every run measures the same bytes.
 */
public final class RealisticData {
  private static final String[] STATUS = {"pending", "paid", "paid", "shipped", "shipped", "shipped", "delivered",
      "delivered", "delivered", "delivered", "cancelled", "refunded"};
  private static final String[] CURRENCY = {"EUR", "EUR", "EUR", "USD", "USD", "GBP", "CHF", "SEK", "PLN"};
  private static final String[] FIRST = {"anna", "ben", "carla", "david", "elena", "felix", "greta", "hugo", "ines",
      "jonas", "karin", "lukas", "maria", "niklas", "olga", "paul", "rosa", "simon", "tina", "uwe", "vera", "wei",
      "yusuf", "zoe", "ahmed", "priya", "li", "sofia", "mateo", "emma"};
  private static final String[] LAST = {"meyer", "schmidt", "novak", "rossi", "garcia", "kowalski", "smith", "jones",
      "muller", "fischer", "weber", "wagner", "becker", "hoffmann", "schulz", "koch", "richter", "klein", "wolf",
      "neumann", "schwarz", "zimmermann", "braun", "kruger", "hartmann", "lange", "werner", "krause", "lehmann"};
  private static final String[] DOMAIN = {"example.org", "example.com", "mail.example.net", "corp.example",
      "shop.example.de", "university.example.edu"};
  private static final String[] WORDS = ("the of and to a in is it you that he was for on are with as his they be "
      + "at one have this from or had by not word but what some we can out other were all there when up use your how "
      + "said an each she which do their time if will way about many then them write would like so these her long "
      + "make thing see him two has look more day could go come did number sound no most people my over know water "
      + "than call first who may down side been now find any new work part take get place made live where after back "
      + "little only round man year came show every good me give our under name very through just form sentence great "
      + "think say help low line differ turn cause much mean before move right boy old too same tell does set three "
      + "want air well also play small end put home read hand port large spell add even land here must big high such "
      + "follow act why ask men change went light kind off need house picture try us again animal point mother world "
      + "near build self earth father head stand own page should country found answer school grow study still learn "
      + "plant cover food sun four between state keep eye never last let thought city tree cross farm hard start might "
      + "story saw far sea draw left late run while press close night real life few north open seem together next "
      + "white children begin got walk example ease paper group always music those both mark often letter until mile "
      + "river car feet care second book carry took science eat room friend began idea fish mountain stop once base "
      + "hear horse cut sure watch color face wood main enough plain girl usual young ready above ever red list though "
      + "feel talk bird soon body dog family direct pose leave song measure door product black short numeral class "
      + "wind question happen complete ship area half rock order fire south problem piece told knew pass since top "
      + "whole king space heard best hour better true during hundred five remember step early hold west ground "
      + "interest reach fast verb sing listen six table travel less morning ten simple several vowel toward war lay "
      + "against pattern slow center love person money serve appear road map rain rule govern pull cold notice voice "
      + "unit power town fine certain fly fall lead cry dark machine note wait plan figure star box noun field rest "
      + "correct able pound done beauty drive stood contain front teach week final gave green oh quick develop ocean "
      + "warm free minute strong special mind behind clear tail produce fact street inch multiply nothing course stay "
      + "wheel full force blue object decide surface deep moon island foot system busy test record boat common gold "
      + "possible plane stead dry wonder laugh thousand ago ran check game shape equate hot miss brought heat snow "
      + "tire bring yes distant fill east paint language among").split(" ");
  private static final byte[] HEX = "0123456789abcdef".getBytes(StandardCharsets.US_ASCII);
  private static final DateTimeFormatter TS = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss.SSSSSS");

  private RealisticData() {}

  /** {@code size} bytes of rows, generated from {@code seed}; the last row is cut at the size. */
  public static byte[] generate(int size, long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    byte[] out = new byte[size];
    int pos = 0;
    long id = 1 + r.nextInt(1_000_000);
    LocalDateTime t = LocalDateTime.of(2025, 1, 1, 0, 0);
    StringBuilder row = new StringBuilder(512);
    while (pos < size) {
      row.setLength(0);
      // created_at advances by a random fraction of a second, as inserts do
      t = t.plusNanos(r.nextLong(1_500_000_000L) / 1000 * 1000);
      row.append(id++).append('\t')
          .append(1 + r.nextInt(900_000)).append('\t')
          .append(TS.format(t)).append('\t');
      if (r.nextInt(3) == 0) {
        row.append("\\N");
      } else {
        row.append(TS.format(t.plusSeconds(r.nextInt(86_400 * 30)).plusNanos(r.nextInt(1_000_000) * 1000L)));
      }
      row.append('\t')
          .append(Math.round(Math.exp(r.nextDouble() * 9) * 100) / 100.0).append('\t')
          .append(1 + r.nextInt(20)).append('\t')
          .append(STATUS[r.nextInt(STATUS.length)]).append('\t')
          .append(CURRENCY[r.nextInt(CURRENCY.length)]).append('\t');
      for (int i = 0; i < 64; i++) {
        row.append((char) HEX[r.nextInt(16)]);
      }
      row.append('\t')
          .append(FIRST[r.nextInt(FIRST.length)]).append('.').append(LAST[r.nextInt(LAST.length)])
          .append(r.nextInt(100)).append('@').append(DOMAIN[r.nextInt(DOMAIN.length)]).append('\t');
      int words = r.nextInt(25);
      for (int i = 0; i < words; i++) {
        if (i > 0) {
          row.append(' ');
        }
        row.append(WORDS[zipf(r, WORDS.length)]);
      }
      row.append('\n');
      byte[] bytes = row.toString().getBytes(StandardCharsets.UTF_8);
      int n = Math.min(bytes.length, size - pos);
      System.arraycopy(bytes, 0, out, pos, n);
      pos += n;
    }
    return out;
  }

  /** An index in {@code [0, n)} with probability roughly proportional to 1/(rank+1). */
  private static int zipf(SplittableRandom r, int n) {
    // Inverse transform of a continuous 1/x density on [1, n+1): rank = (n+1)^u - 1.
    double rank = Math.pow(n + 1, r.nextDouble()) - 1;
    return Math.min(n - 1, (int) rank);
  }

  /** Prints sizes and compression ratios of the generated data; {@code --write FILE SIZE} stores a sample. */
  public static void main(String[] args) throws Exception {
    if (args.length >= 1 && args[0].equals("--write")) {
      int size = args.length >= 3 ? Integer.parseInt(args[2]) : 64 << 20;
      java.nio.file.Files.write(java.nio.file.Path.of(args[1]), generate(size, 42));
      return;
    }
    byte[] data = generate(16 << 20, 42);
    System.out.println(new String(Arrays.copyOf(data, 600), StandardCharsets.UTF_8).split("\n", 3)[0]);
    for (String codec : Codecs.NAMES) {
      long compressed = Codecs.compressedSize(codec, data);
      System.out.printf("%-10s ratio %.2f  (%d -> %d bytes)%n", codec, (double) data.length / compressed,
          data.length, compressed);
    }
  }
}
