package io.goldmine.delta;

import com.amazonaws.auth.AWSCredentialsProvider;
import com.amazonaws.client.builder.AwsClientBuilder.EndpointConfiguration;
import com.amazonaws.services.dynamodbv2.AmazonDynamoDB;
import com.amazonaws.services.dynamodbv2.AmazonDynamoDBClientBuilder;
import com.amazonaws.services.dynamodbv2.model.AttributeValue;
import com.amazonaws.services.dynamodbv2.model.ConditionalCheckFailedException;
import com.amazonaws.services.dynamodbv2.model.GetItemRequest;
import com.amazonaws.services.dynamodbv2.model.PutItemRequest;
import com.amazonaws.services.dynamodbv2.model.QueryRequest;
import com.amazonaws.services.dynamodbv2.model.ResourceNotFoundException;
import io.delta.storage.HadoopFileSystemLogStore;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.regex.Pattern;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * A Delta LogStore for S3 whose commits are mutually exclusive across Spark drivers: the
 * right to write {@code _delta_log/N.json} is a conditional put of the item
 * {@code (tablePath, N.json)} in a DynamoDB table (docs/adr/0023).
 *
 * <p>A commit writes its actions to {@code _delta_log/.tmp/N.json.<uuid>}, claims N with a
 * put that fails when the item exists (the loser gets {@link FileAlreadyExistsException} and
 * Delta retries at N+1 after checking conflicts), copies the actions to {@code N.json} and
 * marks the item complete with an {@code expireTime} (the table's TTL attribute) and deletes
 * the temp file. A writer
 * that dies between the claim and the copy leaves an incomplete item: the next commit (for
 * N-1) or listing (for the newest item) finishes the copy from the temp file, so a claimed
 * commit is never lost and never blocks the table. A claim found complete while its
 * {@code N.json} is missing belongs to a table deleted without its items: the commit fails
 * with an {@link IOException} that says so (Delta would otherwise retry N for ever).
 *
 * <p>The table and its items have the layout of Delta's own S3DynamoDBLogStore
 * ({@code tablePath} HASH, {@code fileName} RANGE, {@code tempPath}, {@code complete} as
 * the string "true"/"false", {@code expireTime} in epoch seconds) and it reads the same
 * configuration keys ({@code [spark.]io.delta.storage.S3DynamoDBLogStore.ddb.tableName},
 * {@code .ddb.region}, {@code .ddb.ttl}, {@code .credentials.provider}), plus one of its
 * own: {@code .ddb.endpoint}, the DynamoDB endpoint URL (the local API endpoint; unset in
 * AWS, where the region's endpoint is used).
 */
public class DynamoDBLogStore extends HadoopFileSystemLogStore {
  private static final String[] PREFIXES = {
    "spark.io.delta.storage.S3DynamoDBLogStore.", "io.delta.storage.S3DynamoDBLogStore."
  };
  private static final Pattern COMMIT_FILE = Pattern.compile("\\d{20}\\.json");
  private static final String TEMP_DIR = ".tmp";
  private static final String TABLE_PATH = "tablePath";
  private static final String FILE_NAME = "fileName";
  private static final String TEMP_PATH = "tempPath";
  private static final String COMPLETE = "complete";
  private static final String EXPIRE_TIME = "expireTime";

  private final AmazonDynamoDB client;
  private final String tableName;
  private final long ttlSeconds;

  public DynamoDBLogStore(Configuration hadoopConf) {
    super(hadoopConf);
    tableName = param(hadoopConf, "ddb.tableName", "delta_log");
    ttlSeconds = Long.parseLong(param(hadoopConf, "ddb.ttl", "86400"));
    if (ttlSeconds < 0) {
      throw new IllegalArgumentException("ddb.ttl must not be negative: " + ttlSeconds);
    }
    String region = param(hadoopConf, "ddb.region", "us-east-1");
    String endpoint = param(hadoopConf, "ddb.endpoint", "");
    String provider =
        param(
            hadoopConf,
            "credentials.provider",
            "com.amazonaws.auth.DefaultAWSCredentialsProviderChain");
    AmazonDynamoDBClientBuilder builder =
        AmazonDynamoDBClientBuilder.standard().withCredentials(credentials(provider, hadoopConf));
    if (endpoint.isEmpty()) {
      builder.withRegion(region);
    } else {
      builder.withEndpointConfiguration(new EndpointConfiguration(endpoint, region));
    }
    client = builder.build();
  }

  @Override
  public void write(
      Path path, Iterator<String> actions, Boolean overwrite, Configuration hadoopConf)
      throws IOException {
    FileSystem fs = path.getFileSystem(hadoopConf);
    Path target = fs.makeQualified(path);
    List<String> lines = new ArrayList<>();
    actions.forEachRemaining(lines::add);
    if (overwrite || !COMMIT_FILE.matcher(target.getName()).matches()) {
      writeLines(fs, target, lines, overwrite);
      return;
    }
    Path logDir = target.getParent();
    String tablePath = logDir.getParent().toString();
    String fileName = target.getName();
    long version = Long.parseLong(fileName.substring(0, 20));
    if (version > 0) {
      Map<String, AttributeValue> previous = getItem(tablePath, commitName(version - 1));
      if (previous != null) {
        finish(fs, logDir, previous);
      }
    }
    if (fs.exists(target)) {
      throw new FileAlreadyExistsException(target.toString());
    }
    String tempName = TEMP_DIR + "/" + fileName + "." + UUID.randomUUID();
    Path temp = new Path(logDir, tempName);
    writeLines(fs, temp, lines, true);
    try {
      putItem(
          new PutItemRequest()
              .withItem(item(tablePath, fileName, tempName, false))
              .withConditionExpression("attribute_not_exists(" + FILE_NAME + ")"));
    } catch (ConditionalCheckFailedException e) {
      fs.delete(temp, false);
      Map<String, AttributeValue> claimed = getItem(tablePath, fileName);
      if (claimed != null && "true".equals(claimed.get(COMPLETE).getS()) && !fs.exists(target)) {
        // Delta would retry N forever: the listing ends at N-1, the claim of N stays.
        throw new IOException(
            "commit "
                + fileName
                + " of "
                + tablePath
                + " is complete in the DynamoDB table '"
                + tableName
                + "' but the file is missing: the table was deleted without its commit"
                + " entries; delete the items with tablePath="
                + tablePath
                + " (or let their TTL expire) before writing a table there again");
      }
      throw new FileAlreadyExistsException(target.toString());
    }
    writeLines(fs, target, lines, true);
    putItem(new PutItemRequest().withItem(item(tablePath, fileName, tempName, true)));
    // Complete: N.json exists, so no recovery will read the temp file again.
    fs.delete(temp, false);
  }

  @Override
  public Iterator<FileStatus> listFrom(Path path, Configuration hadoopConf) throws IOException {
    FileSystem fs = path.getFileSystem(hadoopConf);
    Path logDir = fs.makeQualified(path).getParent();
    if (logDir != null && logDir.getParent() != null && "_delta_log".equals(logDir.getName())) {
      Map<String, AttributeValue> latest = latestItem(logDir.getParent().toString());
      if (latest != null) {
        finish(fs, logDir, latest);
      }
    }
    return super.listFrom(path, hadoopConf);
  }

  @Override
  public Boolean isPartialWriteVisible(Path path, Configuration hadoopConf) {
    return false;
  }

  /** Copy a claimed commit from its temp file to N.json if missing, then mark it complete. */
  private void finish(FileSystem fs, Path logDir, Map<String, AttributeValue> item)
      throws IOException {
    if ("true".equals(item.get(COMPLETE).getS())) {
      return;
    }
    String fileName = item.get(FILE_NAME).getS();
    String tempName = item.get(TEMP_PATH).getS();
    Path target = new Path(logDir, fileName);
    if (!fs.exists(target)) {
      copy(fs, new Path(logDir, tempName), target);
    }
    String tablePath = item.get(TABLE_PATH).getS();
    putItem(new PutItemRequest().withItem(item(tablePath, fileName, tempName, true)));
  }

  private Map<String, AttributeValue> item(
      String tablePath, String fileName, String tempName, boolean complete) {
    Map<String, AttributeValue> item = key(tablePath, fileName);
    item.put(TEMP_PATH, new AttributeValue(tempName));
    item.put(COMPLETE, new AttributeValue(Boolean.toString(complete)));
    if (complete) {
      long expires = System.currentTimeMillis() / 1000 + ttlSeconds;
      item.put(EXPIRE_TIME, new AttributeValue().withN(Long.toString(expires)));
    }
    return item;
  }

  private static Map<String, AttributeValue> key(String tablePath, String fileName) {
    Map<String, AttributeValue> key = new HashMap<>();
    key.put(TABLE_PATH, new AttributeValue(tablePath));
    key.put(FILE_NAME, new AttributeValue(fileName));
    return key;
  }

  private Map<String, AttributeValue> getItem(String tablePath, String fileName)
      throws IOException {
    try {
      return client
          .getItem(
              new GetItemRequest()
                  .withTableName(tableName)
                  .withKey(key(tablePath, fileName))
                  .withConsistentRead(true))
          .getItem();
    } catch (ResourceNotFoundException e) {
      throw missingTable(e);
    }
  }

  private Map<String, AttributeValue> latestItem(String tablePath) throws IOException {
    try {
      List<Map<String, AttributeValue>> items =
          client
              .query(
                  new QueryRequest()
                      .withTableName(tableName)
                      .withConsistentRead(true)
                      .withKeyConditionExpression(TABLE_PATH + " = :t")
                      .withExpressionAttributeValues(
                          Collections.singletonMap(":t", new AttributeValue(tablePath)))
                      .withScanIndexForward(false)
                      .withLimit(1))
              .getItems();
      return items.isEmpty() ? null : items.get(0);
    } catch (ResourceNotFoundException e) {
      throw missingTable(e);
    }
  }

  private void putItem(PutItemRequest request) throws IOException {
    try {
      client.putItem(request.withTableName(tableName));
    } catch (ResourceNotFoundException e) {
      throw missingTable(e);
    }
  }

  private IOException missingTable(ResourceNotFoundException e) {
    return new IOException(
        "the Delta commit table '"
            + tableName
            + "' does not exist in DynamoDB (the platform creates it: goldmine local up,"
            + " or the infra stack in AWS)",
        e);
  }

  private static String commitName(long version) {
    return String.format("%020d.json", version);
  }

  private static void writeLines(FileSystem fs, Path path, List<String> lines, boolean overwrite)
      throws IOException {
    try (OutputStream out = fs.create(path, overwrite)) {
      for (String line : lines) {
        out.write((line + "\n").getBytes(StandardCharsets.UTF_8));
      }
    } catch (org.apache.hadoop.fs.FileAlreadyExistsException e) {
      throw new FileAlreadyExistsException(path.toString());
    }
  }

  private static void copy(FileSystem fs, Path from, Path to) throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (InputStream in = fs.open(from)) {
      byte[] buffer = new byte[65536];
      for (int n = in.read(buffer); n >= 0; n = in.read(buffer)) {
        bytes.write(buffer, 0, n);
      }
    }
    try (OutputStream out = fs.create(to, true)) {
      out.write(bytes.toByteArray());
    }
  }

  private static String param(Configuration conf, String name, String fallback) {
    for (String prefix : PREFIXES) {
      String value = conf.get(prefix + name);
      if (value != null) {
        return value;
      }
    }
    return fallback;
  }

  private static AWSCredentialsProvider credentials(String className, Configuration conf) {
    try {
      ClassLoader loader = Thread.currentThread().getContextClassLoader();
      Class<?> cls = Class.forName(className, true, loader);
      try {
        return (AWSCredentialsProvider) cls.getConstructor(Configuration.class).newInstance(conf);
      } catch (NoSuchMethodException e) {
        return (AWSCredentialsProvider) cls.getConstructor().newInstance();
      }
    } catch (ReflectiveOperationException e) {
      throw new IllegalArgumentException("cannot build credentials provider " + className, e);
    }
  }
}
