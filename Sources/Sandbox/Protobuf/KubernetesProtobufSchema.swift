extension KubernetesProtobufDecoder {
    /// The decoder for the kinds the sandbox serves and the types they hold, its schema parsed on
    /// first use.
    static let kubernetes = Result { () throws(ProtobufSchema.ParseFailure) in
        KubernetesProtobufDecoder(schema: try ProtobufSchema(parsing: KubernetesProtobufSchema.text))
    }
}

/// The messages of Kubernetes' API that the sandbox reads from protobuf (see `ProtobufSchema` for
/// the format): the kinds it serves, and every type they hold. Field numbers and types are those
/// of k8s.io/api's and k8s.io/apimachinery's `generated.proto` (Kubernetes 1.34 to 1.36; numbers
/// are never reused, so older clients' bodies read the same); pointers, `omitempty` and embedded
/// fields come from the Go types of the same packages.
enum KubernetesProtobufSchema {
    static let text = """
        message k8s.io.api.core.v1.Volume
        1 name string -
        2 volumeSource k8s.io.api.core.v1.VolumeSource inline
        message k8s.io.api.core.v1.VolumeSource
        1 hostPath k8s.io.api.core.v1.HostPathVolumeSource pointer,omitempty
        2 emptyDir k8s.io.api.core.v1.EmptyDirVolumeSource pointer,omitempty
        3 gcePersistentDisk k8s.io.api.core.v1.GCEPersistentDiskVolumeSource pointer,omitempty
        4 awsElasticBlockStore k8s.io.api.core.v1.AWSElasticBlockStoreVolumeSource pointer,omitempty
        5 gitRepo k8s.io.api.core.v1.GitRepoVolumeSource pointer,omitempty
        6 secret k8s.io.api.core.v1.SecretVolumeSource pointer,omitempty
        7 nfs k8s.io.api.core.v1.NFSVolumeSource pointer,omitempty
        8 iscsi k8s.io.api.core.v1.ISCSIVolumeSource pointer,omitempty
        9 glusterfs k8s.io.api.core.v1.GlusterfsVolumeSource pointer,omitempty
        10 persistentVolumeClaim k8s.io.api.core.v1.PersistentVolumeClaimVolumeSource pointer,omitempty
        11 rbd k8s.io.api.core.v1.RBDVolumeSource pointer,omitempty
        12 flexVolume k8s.io.api.core.v1.FlexVolumeSource pointer,omitempty
        13 cinder k8s.io.api.core.v1.CinderVolumeSource pointer,omitempty
        14 cephfs k8s.io.api.core.v1.CephFSVolumeSource pointer,omitempty
        15 flocker k8s.io.api.core.v1.FlockerVolumeSource pointer,omitempty
        16 downwardAPI k8s.io.api.core.v1.DownwardAPIVolumeSource pointer,omitempty
        17 fc k8s.io.api.core.v1.FCVolumeSource pointer,omitempty
        18 azureFile k8s.io.api.core.v1.AzureFileVolumeSource pointer,omitempty
        19 configMap k8s.io.api.core.v1.ConfigMapVolumeSource pointer,omitempty
        20 vsphereVolume k8s.io.api.core.v1.VsphereVirtualDiskVolumeSource pointer,omitempty
        21 quobyte k8s.io.api.core.v1.QuobyteVolumeSource pointer,omitempty
        22 azureDisk k8s.io.api.core.v1.AzureDiskVolumeSource pointer,omitempty
        23 photonPersistentDisk k8s.io.api.core.v1.PhotonPersistentDiskVolumeSource pointer,omitempty
        24 portworxVolume k8s.io.api.core.v1.PortworxVolumeSource pointer,omitempty
        25 scaleIO k8s.io.api.core.v1.ScaleIOVolumeSource pointer,omitempty
        26 projected k8s.io.api.core.v1.ProjectedVolumeSource pointer,omitempty
        27 storageos k8s.io.api.core.v1.StorageOSVolumeSource pointer,omitempty
        28 csi k8s.io.api.core.v1.CSIVolumeSource pointer,omitempty
        29 ephemeral k8s.io.api.core.v1.EphemeralVolumeSource pointer,omitempty
        30 image k8s.io.api.core.v1.ImageVolumeSource pointer,omitempty
        message k8s.io.api.core.v1.PersistentVolumeClaimVolumeSource
        1 claimName string -
        2 readOnly bool omitempty
        message k8s.io.api.core.v1.PersistentVolumeClaimSpec
        1 accessModes string repeated,omitempty
        2 resources k8s.io.api.core.v1.VolumeResourceRequirements omitempty
        3 volumeName string omitempty
        4 selector k8s.io.apimachinery.pkg.apis.meta.v1.LabelSelector pointer,omitempty
        5 storageClassName string pointer,omitempty
        6 volumeMode string pointer,omitempty
        7 dataSource k8s.io.api.core.v1.TypedLocalObjectReference pointer,omitempty
        8 dataSourceRef k8s.io.api.core.v1.TypedObjectReference pointer,omitempty
        9 volumeAttributesClassName string pointer,omitempty
        message k8s.io.api.core.v1.TypedObjectReference
        1 apiGroup string pointer
        2 kind string -
        3 name string -
        4 namespace string pointer,omitempty
        message k8s.io.api.core.v1.HostPathVolumeSource
        1 path string -
        2 type string pointer,omitempty
        message k8s.io.api.core.v1.EmptyDirVolumeSource
        1 medium string omitempty
        2 sizeLimit k8s.io.apimachinery.pkg.api.resource.Quantity pointer,omitempty
        message k8s.io.api.core.v1.GlusterfsVolumeSource
        1 endpoints string -
        2 path string -
        3 readOnly bool omitempty
        message k8s.io.api.core.v1.RBDVolumeSource
        1 monitors string repeated
        2 image string -
        3 fsType string omitempty
        4 pool string omitempty
        5 user string omitempty
        6 keyring string omitempty
        7 secretRef k8s.io.api.core.v1.LocalObjectReference pointer,omitempty
        8 readOnly bool omitempty
        message k8s.io.api.core.v1.CinderVolumeSource
        1 volumeID string -
        2 fsType string omitempty
        3 readOnly bool omitempty
        4 secretRef k8s.io.api.core.v1.LocalObjectReference pointer,omitempty
        message k8s.io.api.core.v1.CephFSVolumeSource
        1 monitors string repeated
        2 path string omitempty
        3 user string omitempty
        4 secretFile string omitempty
        5 secretRef k8s.io.api.core.v1.LocalObjectReference pointer,omitempty
        6 readOnly bool omitempty
        message k8s.io.api.core.v1.FlockerVolumeSource
        1 datasetName string omitempty
        2 datasetUUID string omitempty
        message k8s.io.api.core.v1.GCEPersistentDiskVolumeSource
        1 pdName string -
        2 fsType string omitempty
        3 partition int32 omitempty
        4 readOnly bool omitempty
        message k8s.io.api.core.v1.QuobyteVolumeSource
        1 registry string -
        2 volume string -
        3 readOnly bool omitempty
        4 user string omitempty
        5 group string omitempty
        6 tenant string omitempty
        message k8s.io.api.core.v1.FlexVolumeSource
        1 driver string -
        2 fsType string omitempty
        3 secretRef k8s.io.api.core.v1.LocalObjectReference pointer,omitempty
        4 readOnly bool omitempty
        5 options map:string:string omitempty
        message k8s.io.api.core.v1.AWSElasticBlockStoreVolumeSource
        1 volumeID string -
        2 fsType string omitempty
        3 partition int32 omitempty
        4 readOnly bool omitempty
        message k8s.io.api.core.v1.GitRepoVolumeSource
        1 repository string -
        2 revision string omitempty
        3 directory string omitempty
        message k8s.io.api.core.v1.SecretVolumeSource
        1 secretName string omitempty
        2 items k8s.io.api.core.v1.KeyToPath repeated,omitempty
        3 defaultMode int32 pointer,omitempty
        4 optional bool pointer,omitempty
        message k8s.io.api.core.v1.SecretProjection
        1 localObjectReference k8s.io.api.core.v1.LocalObjectReference inline
        2 items k8s.io.api.core.v1.KeyToPath repeated,omitempty
        4 optional bool pointer,omitempty
        message k8s.io.api.core.v1.NFSVolumeSource
        1 server string -
        2 path string -
        3 readOnly bool omitempty
        message k8s.io.api.core.v1.ISCSIVolumeSource
        1 targetPortal string -
        2 iqn string -
        3 lun int32 -
        4 iscsiInterface string omitempty
        5 fsType string omitempty
        6 readOnly bool omitempty
        7 portals string repeated,omitempty
        8 chapAuthDiscovery bool omitempty
        10 secretRef k8s.io.api.core.v1.LocalObjectReference pointer,omitempty
        11 chapAuthSession bool omitempty
        12 initiatorName string pointer,omitempty
        message k8s.io.api.core.v1.FCVolumeSource
        1 targetWWNs string repeated,omitempty
        2 lun int32 pointer,omitempty
        3 fsType string omitempty
        4 readOnly bool omitempty
        5 wwids string repeated,omitempty
        message k8s.io.api.core.v1.AzureFileVolumeSource
        1 secretName string -
        2 shareName string -
        3 readOnly bool omitempty
        message k8s.io.api.core.v1.VsphereVirtualDiskVolumeSource
        1 volumePath string -
        2 fsType string omitempty
        3 storagePolicyName string omitempty
        4 storagePolicyID string omitempty
        message k8s.io.api.core.v1.PhotonPersistentDiskVolumeSource
        1 pdID string -
        2 fsType string omitempty
        message k8s.io.api.core.v1.AzureDiskVolumeSource
        1 diskName string -
        2 diskURI string -
        3 cachingMode string pointer,omitempty
        4 fsType string pointer,omitempty
        5 readOnly bool pointer,omitempty
        6 kind string pointer,omitempty
        message k8s.io.api.core.v1.PortworxVolumeSource
        1 volumeID string -
        2 fsType string omitempty
        3 readOnly bool omitempty
        message k8s.io.api.core.v1.ScaleIOVolumeSource
        1 gateway string -
        2 system string -
        3 secretRef k8s.io.api.core.v1.LocalObjectReference pointer
        4 sslEnabled bool omitempty
        5 protectionDomain string omitempty
        6 storagePool string omitempty
        7 storageMode string omitempty
        8 volumeName string omitempty
        9 fsType string omitempty
        10 readOnly bool omitempty
        message k8s.io.api.core.v1.StorageOSVolumeSource
        1 volumeName string omitempty
        2 volumeNamespace string omitempty
        3 fsType string omitempty
        4 readOnly bool omitempty
        5 secretRef k8s.io.api.core.v1.LocalObjectReference pointer,omitempty
        message k8s.io.api.core.v1.ConfigMapVolumeSource
        1 localObjectReference k8s.io.api.core.v1.LocalObjectReference inline
        2 items k8s.io.api.core.v1.KeyToPath repeated,omitempty
        3 defaultMode int32 pointer,omitempty
        4 optional bool pointer,omitempty
        message k8s.io.api.core.v1.ConfigMapProjection
        1 localObjectReference k8s.io.api.core.v1.LocalObjectReference inline
        2 items k8s.io.api.core.v1.KeyToPath repeated,omitempty
        4 optional bool pointer,omitempty
        message k8s.io.api.core.v1.ServiceAccountTokenProjection
        1 audience string omitempty
        2 expirationSeconds int64 pointer,omitempty
        3 path string -
        message k8s.io.api.core.v1.ClusterTrustBundleProjection
        1 name string pointer,omitempty
        2 signerName string pointer,omitempty
        3 labelSelector k8s.io.apimachinery.pkg.apis.meta.v1.LabelSelector pointer,omitempty
        4 path string -
        5 optional bool pointer,omitempty
        message k8s.io.api.core.v1.PodCertificateProjection
        1 signerName string omitempty
        2 keyType string omitempty
        3 maxExpirationSeconds int32 pointer,omitempty
        4 credentialBundlePath string omitempty
        5 keyPath string omitempty
        6 certificateChainPath string omitempty
        7 userAnnotations map:string:string omitempty
        message k8s.io.api.core.v1.ProjectedVolumeSource
        1 sources k8s.io.api.core.v1.VolumeProjection repeated
        2 defaultMode int32 pointer,omitempty
        message k8s.io.api.core.v1.VolumeProjection
        1 secret k8s.io.api.core.v1.SecretProjection pointer,omitempty
        2 downwardAPI k8s.io.api.core.v1.DownwardAPIProjection pointer,omitempty
        3 configMap k8s.io.api.core.v1.ConfigMapProjection pointer,omitempty
        4 serviceAccountToken k8s.io.api.core.v1.ServiceAccountTokenProjection pointer,omitempty
        5 clusterTrustBundle k8s.io.api.core.v1.ClusterTrustBundleProjection pointer,omitempty
        6 podCertificate k8s.io.api.core.v1.PodCertificateProjection pointer,omitempty
        message k8s.io.api.core.v1.KeyToPath
        1 key string -
        2 path string -
        3 mode int32 pointer,omitempty
        message k8s.io.api.core.v1.CSIVolumeSource
        1 driver string -
        2 readOnly bool pointer,omitempty
        3 fsType string pointer,omitempty
        4 volumeAttributes map:string:string omitempty
        5 nodePublishSecretRef k8s.io.api.core.v1.LocalObjectReference pointer,omitempty
        message k8s.io.api.core.v1.EphemeralVolumeSource
        1 volumeClaimTemplate k8s.io.api.core.v1.PersistentVolumeClaimTemplate pointer,omitempty
        message k8s.io.api.core.v1.PersistentVolumeClaimTemplate
        1 metadata k8s.io.apimachinery.pkg.apis.meta.v1.ObjectMeta omitempty
        2 spec k8s.io.api.core.v1.PersistentVolumeClaimSpec -
        message k8s.io.api.core.v1.ContainerPort
        1 name string omitempty
        2 hostPort int32 omitempty
        3 containerPort int32 -
        4 protocol string omitempty
        5 hostIP string omitempty
        message k8s.io.api.core.v1.VolumeMount
        1 name string -
        2 readOnly bool omitempty
        3 mountPath string -
        4 subPath string omitempty
        5 mountPropagation string pointer,omitempty
        6 subPathExpr string omitempty
        7 recursiveReadOnly string pointer,omitempty
        message k8s.io.api.core.v1.VolumeDevice
        1 name string -
        2 devicePath string -
        message k8s.io.api.core.v1.EnvVar
        1 name string -
        2 value string omitempty
        3 valueFrom k8s.io.api.core.v1.EnvVarSource pointer,omitempty
        message k8s.io.api.core.v1.EnvVarSource
        1 fieldRef k8s.io.api.core.v1.ObjectFieldSelector pointer,omitempty
        2 resourceFieldRef k8s.io.api.core.v1.ResourceFieldSelector pointer,omitempty
        3 configMapKeyRef k8s.io.api.core.v1.ConfigMapKeySelector pointer,omitempty
        4 secretKeyRef k8s.io.api.core.v1.SecretKeySelector pointer,omitempty
        5 fileKeyRef k8s.io.api.core.v1.FileKeySelector pointer,omitempty
        message k8s.io.api.core.v1.FileKeySelector
        1 volumeName string -
        2 path string -
        3 key string -
        4 optional bool pointer,omitempty
        message k8s.io.api.core.v1.ObjectFieldSelector
        1 apiVersion string omitempty
        2 fieldPath string -
        message k8s.io.api.core.v1.ResourceFieldSelector
        1 containerName string omitempty
        2 resource string -
        3 divisor k8s.io.apimachinery.pkg.api.resource.Quantity omitempty
        message k8s.io.api.core.v1.ConfigMapKeySelector
        1 localObjectReference k8s.io.api.core.v1.LocalObjectReference inline
        2 key string -
        3 optional bool pointer,omitempty
        message k8s.io.api.core.v1.SecretKeySelector
        1 localObjectReference k8s.io.api.core.v1.LocalObjectReference inline
        2 key string -
        3 optional bool pointer,omitempty
        message k8s.io.api.core.v1.EnvFromSource
        1 prefix string omitempty
        2 configMapRef k8s.io.api.core.v1.ConfigMapEnvSource pointer,omitempty
        3 secretRef k8s.io.api.core.v1.SecretEnvSource pointer,omitempty
        message k8s.io.api.core.v1.ConfigMapEnvSource
        1 localObjectReference k8s.io.api.core.v1.LocalObjectReference inline
        2 optional bool pointer,omitempty
        message k8s.io.api.core.v1.SecretEnvSource
        1 localObjectReference k8s.io.api.core.v1.LocalObjectReference inline
        2 optional bool pointer,omitempty
        message k8s.io.api.core.v1.HTTPHeader
        1 name string -
        2 value string -
        message k8s.io.api.core.v1.HTTPGetAction
        1 path string omitempty
        2 port k8s.io.apimachinery.pkg.util.intstr.IntOrString -
        3 host string omitempty
        4 scheme string omitempty
        5 httpHeaders k8s.io.api.core.v1.HTTPHeader repeated,omitempty
        message k8s.io.api.core.v1.TCPSocketAction
        1 port k8s.io.apimachinery.pkg.util.intstr.IntOrString -
        2 host string omitempty
        message k8s.io.api.core.v1.GRPCAction
        1 port int32 -
        2 service string pointer
        message k8s.io.api.core.v1.ExecAction
        1 command string repeated,omitempty
        message k8s.io.api.core.v1.SleepAction
        1 seconds int64 -
        message k8s.io.api.core.v1.Probe
        1 handler k8s.io.api.core.v1.ProbeHandler inline
        2 initialDelaySeconds int32 omitempty
        3 timeoutSeconds int32 omitempty
        4 periodSeconds int32 omitempty
        5 successThreshold int32 omitempty
        6 failureThreshold int32 omitempty
        7 terminationGracePeriodSeconds int64 pointer,omitempty
        message k8s.io.api.core.v1.ContainerResizePolicy
        1 resourceName string -
        2 restartPolicy string -
        message k8s.io.api.core.v1.Capabilities
        1 add string repeated,omitempty
        2 drop string repeated,omitempty
        message k8s.io.api.core.v1.ResourceRequirements
        1 limits map:string:k8s.io.apimachinery.pkg.api.resource.Quantity omitempty
        2 requests map:string:k8s.io.apimachinery.pkg.api.resource.Quantity omitempty
        3 claims k8s.io.api.core.v1.ResourceClaim repeated,omitempty
        message k8s.io.api.core.v1.VolumeResourceRequirements
        1 limits map:string:k8s.io.apimachinery.pkg.api.resource.Quantity omitempty
        2 requests map:string:k8s.io.apimachinery.pkg.api.resource.Quantity omitempty
        message k8s.io.api.core.v1.ResourceClaim
        1 name string -
        2 request string omitempty
        message k8s.io.api.core.v1.Container
        1 name string -
        2 image string omitempty
        3 command string repeated,omitempty
        4 args string repeated,omitempty
        5 workingDir string omitempty
        6 ports k8s.io.api.core.v1.ContainerPort repeated,omitempty
        7 env k8s.io.api.core.v1.EnvVar repeated,omitempty
        8 resources k8s.io.api.core.v1.ResourceRequirements omitempty
        9 volumeMounts k8s.io.api.core.v1.VolumeMount repeated,omitempty
        10 livenessProbe k8s.io.api.core.v1.Probe pointer,omitempty
        11 readinessProbe k8s.io.api.core.v1.Probe pointer,omitempty
        12 lifecycle k8s.io.api.core.v1.Lifecycle pointer,omitempty
        13 terminationMessagePath string omitempty
        14 imagePullPolicy string omitempty
        15 securityContext k8s.io.api.core.v1.SecurityContext pointer,omitempty
        16 stdin bool omitempty
        17 stdinOnce bool omitempty
        18 tty bool omitempty
        19 envFrom k8s.io.api.core.v1.EnvFromSource repeated,omitempty
        20 terminationMessagePolicy string omitempty
        21 volumeDevices k8s.io.api.core.v1.VolumeDevice repeated,omitempty
        22 startupProbe k8s.io.api.core.v1.Probe pointer,omitempty
        23 resizePolicy k8s.io.api.core.v1.ContainerResizePolicy repeated,omitempty
        24 restartPolicy string pointer,omitempty
        25 restartPolicyRules k8s.io.api.core.v1.ContainerRestartRule repeated,omitempty
        message k8s.io.api.core.v1.ProbeHandler
        1 exec k8s.io.api.core.v1.ExecAction pointer,omitempty
        2 httpGet k8s.io.api.core.v1.HTTPGetAction pointer,omitempty
        3 tcpSocket k8s.io.api.core.v1.TCPSocketAction pointer,omitempty
        4 grpc k8s.io.api.core.v1.GRPCAction pointer,omitempty
        message k8s.io.api.core.v1.LifecycleHandler
        1 exec k8s.io.api.core.v1.ExecAction pointer,omitempty
        2 httpGet k8s.io.api.core.v1.HTTPGetAction pointer,omitempty
        3 tcpSocket k8s.io.api.core.v1.TCPSocketAction pointer,omitempty
        4 sleep k8s.io.api.core.v1.SleepAction pointer,omitempty
        message k8s.io.api.core.v1.Lifecycle
        1 postStart k8s.io.api.core.v1.LifecycleHandler pointer,omitempty
        2 preStop k8s.io.api.core.v1.LifecycleHandler pointer,omitempty
        3 stopSignal string pointer,omitempty
        message k8s.io.api.core.v1.ContainerStateWaiting
        1 reason string omitempty
        2 message string omitempty
        message k8s.io.api.core.v1.ContainerStateRunning
        1 startedAt k8s.io.apimachinery.pkg.apis.meta.v1.Time omitempty
        message k8s.io.api.core.v1.ContainerStateTerminated
        1 exitCode int32 -
        2 signal int32 omitempty
        3 reason string omitempty
        4 message string omitempty
        5 startedAt k8s.io.apimachinery.pkg.apis.meta.v1.Time omitempty
        6 finishedAt k8s.io.apimachinery.pkg.apis.meta.v1.Time omitempty
        7 containerID string omitempty
        message k8s.io.api.core.v1.ContainerState
        1 waiting k8s.io.api.core.v1.ContainerStateWaiting pointer,omitempty
        2 running k8s.io.api.core.v1.ContainerStateRunning pointer,omitempty
        3 terminated k8s.io.api.core.v1.ContainerStateTerminated pointer,omitempty
        message k8s.io.api.core.v1.ContainerStatus
        1 name string -
        2 state k8s.io.api.core.v1.ContainerState omitempty
        3 lastState k8s.io.api.core.v1.ContainerState omitempty
        4 ready bool -
        5 restartCount int32 -
        6 image string -
        7 imageID string -
        8 containerID string omitempty
        9 started bool pointer,omitempty
        10 allocatedResources map:string:k8s.io.apimachinery.pkg.api.resource.Quantity omitempty
        11 resources k8s.io.api.core.v1.ResourceRequirements pointer,omitempty
        12 volumeMounts k8s.io.api.core.v1.VolumeMountStatus repeated,omitempty
        13 user k8s.io.api.core.v1.ContainerUser pointer,omitempty
        14 allocatedResourcesStatus k8s.io.api.core.v1.ResourceStatus repeated,omitempty
        15 stopSignal string pointer,omitempty
        message k8s.io.api.core.v1.ResourceStatus
        1 name string -
        2 resources k8s.io.api.core.v1.ResourceHealth repeated,omitempty
        message k8s.io.api.core.v1.ResourceHealth
        1 resourceID string -
        2 health string omitempty
        6 message string pointer,omitempty
        message k8s.io.api.core.v1.ContainerUser
        1 linux k8s.io.api.core.v1.LinuxContainerUser pointer,omitempty
        message k8s.io.api.core.v1.LinuxContainerUser
        1 uid int64 -
        2 gid int64 -
        3 supplementalGroups int64 repeated,omitempty
        message k8s.io.api.core.v1.PodCondition
        1 type string -
        2 status string -
        3 lastProbeTime k8s.io.apimachinery.pkg.apis.meta.v1.Time omitempty
        4 lastTransitionTime k8s.io.apimachinery.pkg.apis.meta.v1.Time omitempty
        5 reason string omitempty
        6 message string omitempty
        7 observedGeneration int64 omitempty
        message k8s.io.api.core.v1.VolumeMountStatus
        1 name string -
        2 mountPath string -
        3 readOnly bool omitempty
        4 recursiveReadOnly string pointer,omitempty
        5 volumeStatus k8s.io.api.core.v1.VolumeStatus omitempty
        message k8s.io.api.core.v1.VolumeStatus
        1 image k8s.io.api.core.v1.ImageVolumeStatus pointer,omitempty
        message k8s.io.api.core.v1.ImageVolumeStatus
        1 imageRef string omitempty
        message k8s.io.api.core.v1.ContainerRestartRule
        1 action string omitempty
        2 exitCodes k8s.io.api.core.v1.ContainerRestartRuleOnExitCodes pointer,omitempty
        message k8s.io.api.core.v1.ContainerRestartRuleOnExitCodes
        1 operator string omitempty
        2 values int32 repeated,omitempty
        message k8s.io.api.core.v1.NodeSelector
        1 nodeSelectorTerms k8s.io.api.core.v1.NodeSelectorTerm repeated
        message k8s.io.api.core.v1.NodeSelectorTerm
        1 matchExpressions k8s.io.api.core.v1.NodeSelectorRequirement repeated,omitempty
        2 matchFields k8s.io.api.core.v1.NodeSelectorRequirement repeated,omitempty
        message k8s.io.api.core.v1.NodeSelectorRequirement
        1 key string -
        2 operator string -
        3 values string repeated,omitempty
        message k8s.io.api.core.v1.Affinity
        1 nodeAffinity k8s.io.api.core.v1.NodeAffinity pointer,omitempty
        2 podAffinity k8s.io.api.core.v1.PodAffinity pointer,omitempty
        3 podAntiAffinity k8s.io.api.core.v1.PodAntiAffinity pointer,omitempty
        message k8s.io.api.core.v1.PodAffinity
        1 requiredDuringSchedulingIgnoredDuringExecution k8s.io.api.core.v1.PodAffinityTerm repeated,omitempty
        2 preferredDuringSchedulingIgnoredDuringExecution k8s.io.api.core.v1.WeightedPodAffinityTerm repeated,omitempty
        message k8s.io.api.core.v1.PodAntiAffinity
        1 requiredDuringSchedulingIgnoredDuringExecution k8s.io.api.core.v1.PodAffinityTerm repeated,omitempty
        2 preferredDuringSchedulingIgnoredDuringExecution k8s.io.api.core.v1.WeightedPodAffinityTerm repeated,omitempty
        message k8s.io.api.core.v1.WeightedPodAffinityTerm
        1 weight int32 -
        2 podAffinityTerm k8s.io.api.core.v1.PodAffinityTerm -
        message k8s.io.api.core.v1.PodAffinityTerm
        1 labelSelector k8s.io.apimachinery.pkg.apis.meta.v1.LabelSelector pointer,omitempty
        2 namespaces string repeated,omitempty
        3 topologyKey string -
        4 namespaceSelector k8s.io.apimachinery.pkg.apis.meta.v1.LabelSelector pointer,omitempty
        5 matchLabelKeys string repeated,omitempty
        6 mismatchLabelKeys string repeated,omitempty
        message k8s.io.api.core.v1.NodeAffinity
        1 requiredDuringSchedulingIgnoredDuringExecution k8s.io.api.core.v1.NodeSelector pointer,omitempty
        2 preferredDuringSchedulingIgnoredDuringExecution k8s.io.api.core.v1.PreferredSchedulingTerm repeated,omitempty
        message k8s.io.api.core.v1.PreferredSchedulingTerm
        1 weight int32 -
        2 preference k8s.io.api.core.v1.NodeSelectorTerm -
        message k8s.io.api.core.v1.Taint
        1 key string -
        2 value string omitempty
        3 effect string -
        4 timeAdded k8s.io.apimachinery.pkg.apis.meta.v1.Time pointer,omitempty
        message k8s.io.api.core.v1.Toleration
        1 key string omitempty
        2 operator string omitempty
        3 value string omitempty
        4 effect string omitempty
        5 tolerationSeconds int64 pointer,omitempty
        message k8s.io.api.core.v1.PodReadinessGate
        1 conditionType string -
        message k8s.io.api.core.v1.PodSpec
        1 volumes k8s.io.api.core.v1.Volume repeated,omitempty
        2 containers k8s.io.api.core.v1.Container repeated
        3 restartPolicy string omitempty
        4 terminationGracePeriodSeconds int64 pointer,omitempty
        5 activeDeadlineSeconds int64 pointer,omitempty
        6 dnsPolicy string omitempty
        7 nodeSelector map:string:string omitempty
        8 serviceAccountName string omitempty
        9 serviceAccount string omitempty
        10 nodeName string omitempty
        11 hostNetwork bool omitempty
        12 hostPID bool omitempty
        13 hostIPC bool omitempty
        14 securityContext k8s.io.api.core.v1.PodSecurityContext pointer,omitempty
        15 imagePullSecrets k8s.io.api.core.v1.LocalObjectReference repeated,omitempty
        16 hostname string omitempty
        17 subdomain string omitempty
        18 affinity k8s.io.api.core.v1.Affinity pointer,omitempty
        19 schedulerName string omitempty
        20 initContainers k8s.io.api.core.v1.Container repeated,omitempty
        21 automountServiceAccountToken bool pointer,omitempty
        22 tolerations k8s.io.api.core.v1.Toleration repeated,omitempty
        23 hostAliases k8s.io.api.core.v1.HostAlias repeated,omitempty
        24 priorityClassName string omitempty
        25 priority int32 pointer,omitempty
        26 dnsConfig k8s.io.api.core.v1.PodDNSConfig pointer,omitempty
        27 shareProcessNamespace bool pointer,omitempty
        28 readinessGates k8s.io.api.core.v1.PodReadinessGate repeated,omitempty
        29 runtimeClassName string pointer,omitempty
        30 enableServiceLinks bool pointer,omitempty
        31 preemptionPolicy string pointer,omitempty
        32 overhead map:string:k8s.io.apimachinery.pkg.api.resource.Quantity omitempty
        33 topologySpreadConstraints k8s.io.api.core.v1.TopologySpreadConstraint repeated,omitempty
        34 ephemeralContainers k8s.io.api.core.v1.EphemeralContainer repeated,omitempty
        35 setHostnameAsFQDN bool pointer,omitempty
        36 os k8s.io.api.core.v1.PodOS pointer,omitempty
        37 hostUsers bool pointer,omitempty
        38 schedulingGates k8s.io.api.core.v1.PodSchedulingGate repeated,omitempty
        39 resourceClaims k8s.io.api.core.v1.PodResourceClaim repeated,omitempty
        40 resources k8s.io.api.core.v1.ResourceRequirements pointer,omitempty
        41 hostnameOverride string pointer,omitempty
        42 workloadRef k8s.io.api.core.v1.WorkloadReference pointer,omitempty
        message k8s.io.api.core.v1.PodResourceClaim
        1 name string -
        3 resourceClaimName string pointer,omitempty
        4 resourceClaimTemplateName string pointer,omitempty
        message k8s.io.api.core.v1.PodResourceClaimStatus
        1 name string -
        2 resourceClaimName string pointer,omitempty
        message k8s.io.api.core.v1.PodExtendedResourceClaimStatus
        1 requestMappings k8s.io.api.core.v1.ContainerExtendedResourceRequest repeated
        2 resourceClaimName string -
        message k8s.io.api.core.v1.ContainerExtendedResourceRequest
        1 containerName string -
        2 resourceName string -
        3 requestName string -
        message k8s.io.api.core.v1.PodOS
        1 name string -
        message k8s.io.api.core.v1.PodSchedulingGate
        1 name string -
        message k8s.io.api.core.v1.WorkloadReference
        1 name string -
        2 podGroup string -
        3 podGroupReplicaKey string omitempty
        message k8s.io.api.core.v1.TopologySpreadConstraint
        1 maxSkew int32 -
        2 topologyKey string -
        3 whenUnsatisfiable string -
        4 labelSelector k8s.io.apimachinery.pkg.apis.meta.v1.LabelSelector pointer,omitempty
        5 minDomains int32 pointer,omitempty
        6 nodeAffinityPolicy string pointer,omitempty
        7 nodeTaintsPolicy string pointer,omitempty
        8 matchLabelKeys string repeated,omitempty
        message k8s.io.api.core.v1.HostAlias
        1 ip string -
        2 hostnames string repeated,omitempty
        message k8s.io.api.core.v1.PodSecurityContext
        1 seLinuxOptions k8s.io.api.core.v1.SELinuxOptions pointer,omitempty
        2 runAsUser int64 pointer,omitempty
        3 runAsNonRoot bool pointer,omitempty
        4 supplementalGroups int64 repeated,omitempty
        5 fsGroup int64 pointer,omitempty
        6 runAsGroup int64 pointer,omitempty
        7 sysctls k8s.io.api.core.v1.Sysctl repeated,omitempty
        8 windowsOptions k8s.io.api.core.v1.WindowsSecurityContextOptions pointer,omitempty
        9 fsGroupChangePolicy string pointer,omitempty
        10 seccompProfile k8s.io.api.core.v1.SeccompProfile pointer,omitempty
        11 appArmorProfile k8s.io.api.core.v1.AppArmorProfile pointer,omitempty
        12 supplementalGroupsPolicy string pointer,omitempty
        13 seLinuxChangePolicy string pointer,omitempty
        message k8s.io.api.core.v1.SeccompProfile
        1 type string -
        2 localhostProfile string pointer,omitempty
        message k8s.io.api.core.v1.AppArmorProfile
        1 type string -
        2 localhostProfile string pointer,omitempty
        message k8s.io.api.core.v1.PodDNSConfig
        1 nameservers string repeated,omitempty
        2 searches string repeated,omitempty
        3 options k8s.io.api.core.v1.PodDNSConfigOption repeated,omitempty
        message k8s.io.api.core.v1.PodDNSConfigOption
        1 name string omitempty
        2 value string pointer,omitempty
        message k8s.io.api.core.v1.PodIP
        1 ip string -
        message k8s.io.api.core.v1.HostIP
        1 ip string -
        message k8s.io.api.core.v1.EphemeralContainerCommon
        1 name string -
        2 image string omitempty
        3 command string repeated,omitempty
        4 args string repeated,omitempty
        5 workingDir string omitempty
        6 ports k8s.io.api.core.v1.ContainerPort repeated,omitempty
        7 env k8s.io.api.core.v1.EnvVar repeated,omitempty
        8 resources k8s.io.api.core.v1.ResourceRequirements omitempty
        9 volumeMounts k8s.io.api.core.v1.VolumeMount repeated,omitempty
        10 livenessProbe k8s.io.api.core.v1.Probe pointer,omitempty
        11 readinessProbe k8s.io.api.core.v1.Probe pointer,omitempty
        12 lifecycle k8s.io.api.core.v1.Lifecycle pointer,omitempty
        13 terminationMessagePath string omitempty
        14 imagePullPolicy string omitempty
        15 securityContext k8s.io.api.core.v1.SecurityContext pointer,omitempty
        16 stdin bool omitempty
        17 stdinOnce bool omitempty
        18 tty bool omitempty
        19 envFrom k8s.io.api.core.v1.EnvFromSource repeated,omitempty
        20 terminationMessagePolicy string omitempty
        21 volumeDevices k8s.io.api.core.v1.VolumeDevice repeated,omitempty
        22 startupProbe k8s.io.api.core.v1.Probe pointer,omitempty
        23 resizePolicy k8s.io.api.core.v1.ContainerResizePolicy repeated,omitempty
        24 restartPolicy string pointer,omitempty
        25 restartPolicyRules k8s.io.api.core.v1.ContainerRestartRule repeated,omitempty
        message k8s.io.api.core.v1.EphemeralContainer
        1 ephemeralContainerCommon k8s.io.api.core.v1.EphemeralContainerCommon inline
        2 targetContainerName string omitempty
        message k8s.io.api.core.v1.PodStatus
        1 phase string omitempty
        2 conditions k8s.io.api.core.v1.PodCondition repeated,omitempty
        3 message string omitempty
        4 reason string omitempty
        5 hostIP string omitempty
        6 podIP string omitempty
        7 startTime k8s.io.apimachinery.pkg.apis.meta.v1.Time pointer,omitempty
        8 containerStatuses k8s.io.api.core.v1.ContainerStatus repeated,omitempty
        9 qosClass string omitempty
        10 initContainerStatuses k8s.io.api.core.v1.ContainerStatus repeated,omitempty
        11 nominatedNodeName string omitempty
        12 podIPs k8s.io.api.core.v1.PodIP repeated,omitempty
        13 ephemeralContainerStatuses k8s.io.api.core.v1.ContainerStatus repeated,omitempty
        14 resize string omitempty
        15 resourceClaimStatuses k8s.io.api.core.v1.PodResourceClaimStatus repeated,omitempty
        16 hostIPs k8s.io.api.core.v1.HostIP repeated,omitempty
        17 observedGeneration int64 omitempty
        18 extendedResourceClaimStatus k8s.io.api.core.v1.PodExtendedResourceClaimStatus pointer,omitempty
        19 allocatedResources map:string:k8s.io.apimachinery.pkg.api.resource.Quantity omitempty
        20 resources k8s.io.api.core.v1.ResourceRequirements pointer,omitempty
        message k8s.io.api.core.v1.Pod
        1 metadata k8s.io.apimachinery.pkg.apis.meta.v1.ObjectMeta omitempty
        2 spec k8s.io.api.core.v1.PodSpec omitempty
        3 status k8s.io.api.core.v1.PodStatus omitempty
        message k8s.io.api.core.v1.PodTemplateSpec
        1 metadata k8s.io.apimachinery.pkg.apis.meta.v1.ObjectMeta omitempty
        2 spec k8s.io.api.core.v1.PodSpec omitempty
        message k8s.io.api.core.v1.SessionAffinityConfig
        1 clientIP k8s.io.api.core.v1.ClientIPConfig pointer,omitempty
        message k8s.io.api.core.v1.ClientIPConfig
        1 timeoutSeconds int32 pointer,omitempty
        message k8s.io.api.core.v1.ServiceStatus
        1 loadBalancer k8s.io.api.core.v1.LoadBalancerStatus omitempty
        2 conditions k8s.io.apimachinery.pkg.apis.meta.v1.Condition repeated,omitempty
        message k8s.io.api.core.v1.LoadBalancerStatus
        1 ingress k8s.io.api.core.v1.LoadBalancerIngress repeated,omitempty
        message k8s.io.api.core.v1.LoadBalancerIngress
        1 ip string omitempty
        2 hostname string omitempty
        3 ipMode string pointer,omitempty
        4 ports k8s.io.api.core.v1.PortStatus repeated,omitempty
        message k8s.io.api.core.v1.ServiceSpec
        1 ports k8s.io.api.core.v1.ServicePort repeated,omitempty
        2 selector map:string:string omitempty
        3 clusterIP string omitempty
        4 type string omitempty
        5 externalIPs string repeated,omitempty
        7 sessionAffinity string omitempty
        8 loadBalancerIP string omitempty
        9 loadBalancerSourceRanges string repeated,omitempty
        10 externalName string omitempty
        11 externalTrafficPolicy string omitempty
        12 healthCheckNodePort int32 omitempty
        13 publishNotReadyAddresses bool omitempty
        14 sessionAffinityConfig k8s.io.api.core.v1.SessionAffinityConfig pointer,omitempty
        17 ipFamilyPolicy string pointer,omitempty
        18 clusterIPs string repeated,omitempty
        19 ipFamilies string repeated,omitempty
        20 allocateLoadBalancerNodePorts bool pointer,omitempty
        21 loadBalancerClass string pointer,omitempty
        22 internalTrafficPolicy string pointer,omitempty
        23 trafficDistribution string pointer,omitempty
        message k8s.io.api.core.v1.ServicePort
        1 name string omitempty
        2 protocol string omitempty
        3 port int32 -
        4 targetPort k8s.io.apimachinery.pkg.util.intstr.IntOrString omitempty
        5 nodePort int32 omitempty
        6 appProtocol string pointer,omitempty
        message k8s.io.api.core.v1.Service
        1 metadata k8s.io.apimachinery.pkg.apis.meta.v1.ObjectMeta omitempty
        2 spec k8s.io.api.core.v1.ServiceSpec omitempty
        3 status k8s.io.api.core.v1.ServiceStatus omitempty
        message k8s.io.api.core.v1.ServiceAccount
        1 metadata k8s.io.apimachinery.pkg.apis.meta.v1.ObjectMeta omitempty
        2 secrets k8s.io.api.core.v1.ObjectReference repeated,omitempty
        3 imagePullSecrets k8s.io.api.core.v1.LocalObjectReference repeated,omitempty
        4 automountServiceAccountToken bool pointer,omitempty
        message k8s.io.api.core.v1.Endpoints
        1 metadata k8s.io.apimachinery.pkg.apis.meta.v1.ObjectMeta omitempty
        2 subsets k8s.io.api.core.v1.EndpointSubset repeated,omitempty
        message k8s.io.api.core.v1.EndpointSubset
        1 addresses k8s.io.api.core.v1.EndpointAddress repeated,omitempty
        2 notReadyAddresses k8s.io.api.core.v1.EndpointAddress repeated,omitempty
        3 ports k8s.io.api.core.v1.EndpointPort repeated,omitempty
        message k8s.io.api.core.v1.EndpointAddress
        1 ip string -
        2 targetRef k8s.io.api.core.v1.ObjectReference pointer,omitempty
        3 hostname string omitempty
        4 nodeName string pointer,omitempty
        message k8s.io.api.core.v1.EndpointPort
        1 name string omitempty
        2 port int32 -
        3 protocol string omitempty
        4 appProtocol string pointer,omitempty
        message k8s.io.api.core.v1.NodeSpec
        1 podCIDR string omitempty
        2 externalID string omitempty
        3 providerID string omitempty
        4 unschedulable bool omitempty
        5 taints k8s.io.api.core.v1.Taint repeated,omitempty
        6 configSource k8s.io.api.core.v1.NodeConfigSource pointer,omitempty
        7 podCIDRs string repeated,omitempty
        message k8s.io.api.core.v1.NodeConfigSource
        2 configMap k8s.io.api.core.v1.ConfigMapNodeConfigSource pointer,omitempty
        message k8s.io.api.core.v1.ConfigMapNodeConfigSource
        1 namespace string -
        2 name string -
        3 uid string omitempty
        4 resourceVersion string omitempty
        5 kubeletConfigKey string -
        message k8s.io.api.core.v1.DaemonEndpoint
        1 Port int32 -
        message k8s.io.api.core.v1.NodeDaemonEndpoints
        1 kubeletEndpoint k8s.io.api.core.v1.DaemonEndpoint omitempty
        message k8s.io.api.core.v1.NodeRuntimeHandlerFeatures
        1 recursiveReadOnlyMounts bool pointer,omitempty
        2 userNamespaces bool pointer,omitempty
        message k8s.io.api.core.v1.NodeRuntimeHandler
        1 name string -
        2 features k8s.io.api.core.v1.NodeRuntimeHandlerFeatures pointer,omitempty
        message k8s.io.api.core.v1.NodeFeatures
        1 supplementalGroupsPolicy bool pointer,omitempty
        2 containerUlimits bool pointer,omitempty
        message k8s.io.api.core.v1.NodeSystemInfo
        1 machineID string -
        2 systemUUID string -
        3 bootID string -
        4 kernelVersion string -
        5 osImage string -
        6 containerRuntimeVersion string -
        7 kubeletVersion string -
        8 kubeProxyVersion string -
        9 operatingSystem string -
        10 architecture string -
        11 swap k8s.io.api.core.v1.NodeSwapStatus pointer,omitempty
        message k8s.io.api.core.v1.NodeSwapStatus
        1 capacity int64 pointer,omitempty
        message k8s.io.api.core.v1.NodeConfigStatus
        1 assigned k8s.io.api.core.v1.NodeConfigSource pointer,omitempty
        2 active k8s.io.api.core.v1.NodeConfigSource pointer,omitempty
        3 lastKnownGood k8s.io.api.core.v1.NodeConfigSource pointer,omitempty
        4 error string omitempty
        message k8s.io.api.core.v1.NodeStatus
        1 capacity map:string:k8s.io.apimachinery.pkg.api.resource.Quantity omitempty
        2 allocatable map:string:k8s.io.apimachinery.pkg.api.resource.Quantity omitempty
        3 phase string omitempty
        4 conditions k8s.io.api.core.v1.NodeCondition repeated,omitempty
        5 addresses k8s.io.api.core.v1.NodeAddress repeated,omitempty
        6 daemonEndpoints k8s.io.api.core.v1.NodeDaemonEndpoints omitempty
        7 nodeInfo k8s.io.api.core.v1.NodeSystemInfo omitempty
        8 images k8s.io.api.core.v1.ContainerImage repeated,omitempty
        9 volumesInUse string repeated,omitempty
        10 volumesAttached k8s.io.api.core.v1.AttachedVolume repeated,omitempty
        11 config k8s.io.api.core.v1.NodeConfigStatus pointer,omitempty
        12 runtimeHandlers k8s.io.api.core.v1.NodeRuntimeHandler repeated,omitempty
        13 features k8s.io.api.core.v1.NodeFeatures pointer,omitempty
        14 declaredFeatures string repeated,omitempty
        message k8s.io.api.core.v1.AttachedVolume
        1 name string -
        2 devicePath string -
        message k8s.io.api.core.v1.ContainerImage
        1 names string repeated
        2 sizeBytes int64 omitempty
        message k8s.io.api.core.v1.NodeCondition
        1 type string -
        2 status string -
        3 lastHeartbeatTime k8s.io.apimachinery.pkg.apis.meta.v1.Time omitempty
        4 lastTransitionTime k8s.io.apimachinery.pkg.apis.meta.v1.Time omitempty
        5 reason string omitempty
        6 message string omitempty
        message k8s.io.api.core.v1.NodeAddress
        1 type string -
        2 address string -
        message k8s.io.api.core.v1.Node
        1 metadata k8s.io.apimachinery.pkg.apis.meta.v1.ObjectMeta omitempty
        2 spec k8s.io.api.core.v1.NodeSpec omitempty
        3 status k8s.io.api.core.v1.NodeStatus omitempty
        message k8s.io.api.core.v1.NamespaceSpec
        1 finalizers string repeated,omitempty
        message k8s.io.api.core.v1.NamespaceStatus
        1 phase string omitempty
        2 conditions k8s.io.api.core.v1.NamespaceCondition repeated,omitempty
        message k8s.io.api.core.v1.NamespaceCondition
        1 type string -
        2 status string -
        4 lastTransitionTime k8s.io.apimachinery.pkg.apis.meta.v1.Time omitempty
        5 reason string omitempty
        6 message string omitempty
        message k8s.io.api.core.v1.Namespace
        1 metadata k8s.io.apimachinery.pkg.apis.meta.v1.ObjectMeta omitempty
        2 spec k8s.io.api.core.v1.NamespaceSpec omitempty
        3 status k8s.io.api.core.v1.NamespaceStatus omitempty
        message k8s.io.api.core.v1.Binding
        1 metadata k8s.io.apimachinery.pkg.apis.meta.v1.ObjectMeta omitempty
        2 target k8s.io.api.core.v1.ObjectReference -
        message k8s.io.api.core.v1.ObjectReference
        1 kind string omitempty
        2 namespace string omitempty
        3 name string omitempty
        4 uid string omitempty
        5 apiVersion string omitempty
        6 resourceVersion string omitempty
        7 fieldPath string omitempty
        message k8s.io.api.core.v1.LocalObjectReference
        1 name string omitempty
        message k8s.io.api.core.v1.TypedLocalObjectReference
        1 apiGroup string pointer
        2 kind string -
        3 name string -
        message k8s.io.api.core.v1.EventSource
        1 component string omitempty
        2 host string omitempty
        message k8s.io.api.core.v1.Event
        1 metadata k8s.io.apimachinery.pkg.apis.meta.v1.ObjectMeta -
        2 involvedObject k8s.io.api.core.v1.ObjectReference -
        3 reason string omitempty
        4 message string omitempty
        5 source k8s.io.api.core.v1.EventSource omitempty
        6 firstTimestamp k8s.io.apimachinery.pkg.apis.meta.v1.Time omitempty
        7 lastTimestamp k8s.io.apimachinery.pkg.apis.meta.v1.Time omitempty
        8 count int32 omitempty
        9 type string omitempty
        10 eventTime k8s.io.apimachinery.pkg.apis.meta.v1.MicroTime omitempty
        11 series k8s.io.api.core.v1.EventSeries pointer,omitempty
        12 action string omitempty
        13 related k8s.io.api.core.v1.ObjectReference pointer,omitempty
        14 reportingComponent string -
        15 reportingInstance string -
        message k8s.io.api.core.v1.EventSeries
        1 count int32 omitempty
        2 lastObservedTime k8s.io.apimachinery.pkg.apis.meta.v1.MicroTime omitempty
        message k8s.io.api.core.v1.Secret
        1 metadata k8s.io.apimachinery.pkg.apis.meta.v1.ObjectMeta omitempty
        2 data map:string:bytes omitempty
        3 type string omitempty
        4 stringData map:string:string omitempty
        5 immutable bool pointer,omitempty
        message k8s.io.api.core.v1.ConfigMap
        1 metadata k8s.io.apimachinery.pkg.apis.meta.v1.ObjectMeta omitempty
        2 data map:string:string omitempty
        3 binaryData map:string:bytes omitempty
        4 immutable bool pointer,omitempty
        message k8s.io.api.core.v1.DownwardAPIVolumeSource
        1 items k8s.io.api.core.v1.DownwardAPIVolumeFile repeated,omitempty
        2 defaultMode int32 pointer,omitempty
        message k8s.io.api.core.v1.DownwardAPIVolumeFile
        1 path string -
        2 fieldRef k8s.io.api.core.v1.ObjectFieldSelector pointer,omitempty
        3 resourceFieldRef k8s.io.api.core.v1.ResourceFieldSelector pointer,omitempty
        4 mode int32 pointer,omitempty
        message k8s.io.api.core.v1.DownwardAPIProjection
        1 items k8s.io.api.core.v1.DownwardAPIVolumeFile repeated,omitempty
        message k8s.io.api.core.v1.SecurityContext
        1 capabilities k8s.io.api.core.v1.Capabilities pointer,omitempty
        2 privileged bool pointer,omitempty
        3 seLinuxOptions k8s.io.api.core.v1.SELinuxOptions pointer,omitempty
        4 runAsUser int64 pointer,omitempty
        5 runAsNonRoot bool pointer,omitempty
        6 readOnlyRootFilesystem bool pointer,omitempty
        7 allowPrivilegeEscalation bool pointer,omitempty
        8 runAsGroup int64 pointer,omitempty
        9 procMount string pointer,omitempty
        10 windowsOptions k8s.io.api.core.v1.WindowsSecurityContextOptions pointer,omitempty
        11 seccompProfile k8s.io.api.core.v1.SeccompProfile pointer,omitempty
        12 appArmorProfile k8s.io.api.core.v1.AppArmorProfile pointer,omitempty
        13 ulimits k8s.io.api.core.v1.Ulimit repeated,omitempty
        message k8s.io.api.core.v1.Ulimit
        1 name string -
        2 hard int64 -
        3 soft int64 -
        message k8s.io.api.core.v1.SELinuxOptions
        1 user string omitempty
        2 role string omitempty
        3 type string omitempty
        4 level string omitempty
        message k8s.io.api.core.v1.WindowsSecurityContextOptions
        1 gmsaCredentialSpecName string pointer,omitempty
        2 gmsaCredentialSpec string pointer,omitempty
        3 runAsUserName string pointer,omitempty
        4 hostProcess bool pointer,omitempty
        message k8s.io.api.core.v1.Sysctl
        1 name string -
        2 value string -
        message k8s.io.api.core.v1.PortStatus
        1 port int32 -
        2 protocol string -
        3 error string pointer,omitempty
        message k8s.io.api.core.v1.ImageVolumeSource
        1 reference string omitempty
        2 pullPolicy string omitempty
        message k8s.io.apimachinery.pkg.apis.meta.v1.ObjectMeta
        1 name string omitempty
        2 generateName string omitempty
        3 namespace string omitempty
        4 selfLink string omitempty
        5 uid string omitempty
        6 resourceVersion string omitempty
        7 generation int64 omitempty
        8 creationTimestamp k8s.io.apimachinery.pkg.apis.meta.v1.Time omitempty
        9 deletionTimestamp k8s.io.apimachinery.pkg.apis.meta.v1.Time pointer,omitempty
        10 deletionGracePeriodSeconds int64 pointer,omitempty
        11 labels map:string:string omitempty
        12 annotations map:string:string omitempty
        13 ownerReferences k8s.io.apimachinery.pkg.apis.meta.v1.OwnerReference repeated,omitempty
        14 finalizers string repeated,omitempty
        17 managedFields k8s.io.apimachinery.pkg.apis.meta.v1.ManagedFieldsEntry repeated,omitempty
        message k8s.io.apimachinery.pkg.apis.meta.v1.ListMeta
        1 selfLink string omitempty
        2 resourceVersion string omitempty
        3 continue string omitempty
        4 remainingItemCount int64 pointer,omitempty
        message k8s.io.apimachinery.pkg.apis.meta.v1.OwnerReference
        1 kind string -
        3 name string -
        4 uid string -
        5 apiVersion string -
        6 controller bool pointer,omitempty
        7 blockOwnerDeletion bool pointer,omitempty
        message k8s.io.apimachinery.pkg.apis.meta.v1.DeleteOptions
        1 gracePeriodSeconds int64 pointer,omitempty
        2 preconditions k8s.io.apimachinery.pkg.apis.meta.v1.Preconditions pointer,omitempty
        3 orphanDependents bool pointer,omitempty
        4 propagationPolicy string pointer,omitempty
        5 dryRun string repeated,omitempty
        6 ignoreStoreReadErrorWithClusterBreakingPotential bool pointer,omitempty
        message k8s.io.apimachinery.pkg.apis.meta.v1.Preconditions
        1 uid string pointer,omitempty
        2 resourceVersion string pointer,omitempty
        message k8s.io.apimachinery.pkg.apis.meta.v1.Status
        1 metadata k8s.io.apimachinery.pkg.apis.meta.v1.ListMeta omitempty
        2 status string omitempty
        3 message string omitempty
        4 reason string omitempty
        5 details k8s.io.apimachinery.pkg.apis.meta.v1.StatusDetails pointer,omitempty
        6 code int32 omitempty
        message k8s.io.apimachinery.pkg.apis.meta.v1.StatusDetails
        1 name string omitempty
        2 group string omitempty
        3 kind string omitempty
        4 causes k8s.io.apimachinery.pkg.apis.meta.v1.StatusCause repeated,omitempty
        5 retryAfterSeconds int32 omitempty
        6 uid string omitempty
        message k8s.io.apimachinery.pkg.apis.meta.v1.StatusCause
        1 reason string omitempty
        2 message string omitempty
        3 field string omitempty
        message k8s.io.apimachinery.pkg.apis.meta.v1.LabelSelector
        1 matchLabels map:string:string omitempty
        2 matchExpressions k8s.io.apimachinery.pkg.apis.meta.v1.LabelSelectorRequirement repeated,omitempty
        message k8s.io.apimachinery.pkg.apis.meta.v1.LabelSelectorRequirement
        1 key string -
        2 operator string -
        3 values string repeated,omitempty
        message k8s.io.apimachinery.pkg.apis.meta.v1.ManagedFieldsEntry
        1 manager string omitempty
        2 operation string omitempty
        3 apiVersion string omitempty
        4 time k8s.io.apimachinery.pkg.apis.meta.v1.Time pointer,omitempty
        6 fieldsType string omitempty
        7 fieldsV1 k8s.io.apimachinery.pkg.apis.meta.v1.FieldsV1 pointer,omitempty
        8 subresource string omitempty
        message k8s.io.apimachinery.pkg.apis.meta.v1.FieldsV1
        1 Raw bytes -
        message k8s.io.apimachinery.pkg.apis.meta.v1.Condition
        1 type string -
        2 status string -
        3 observedGeneration int64 omitempty
        4 lastTransitionTime k8s.io.apimachinery.pkg.apis.meta.v1.Time -
        5 reason string -
        6 message string -
        message k8s.io.apimachinery.pkg.apis.meta.v1.Time
        1 seconds int64 -
        2 nanos int32 -
        message k8s.io.apimachinery.pkg.apis.meta.v1.MicroTime
        1 seconds int64 -
        2 nanos int32 -
        message k8s.io.apimachinery.pkg.apis.meta.v1.Duration
        1 duration int64 -
        message k8s.io.apimachinery.pkg.util.intstr.IntOrString
        1 type int64 -
        2 intVal int32 -
        3 strVal string -
        message k8s.io.apimachinery.pkg.api.resource.Quantity
        1 string string -
        message k8s.io.apimachinery.pkg.runtime.RawExtension
        1 raw bytes -
        message k8s.io.api.core.v1.PersistentVolumeClaim
        1 metadata k8s.io.apimachinery.pkg.apis.meta.v1.ObjectMeta omitempty
        2 spec k8s.io.api.core.v1.PersistentVolumeClaimSpec omitempty
        3 status k8s.io.api.core.v1.PersistentVolumeClaimStatus omitempty
        message k8s.io.api.core.v1.PersistentVolumeClaimStatus
        1 phase string omitempty
        2 accessModes string repeated,omitempty
        3 capacity map:string:k8s.io.apimachinery.pkg.api.resource.Quantity omitempty
        4 conditions k8s.io.api.core.v1.PersistentVolumeClaimCondition repeated,omitempty
        5 allocatedResources map:string:k8s.io.apimachinery.pkg.api.resource.Quantity omitempty
        7 allocatedResourceStatuses map:string:string omitempty
        8 currentVolumeAttributesClassName string pointer,omitempty
        9 modifyVolumeStatus k8s.io.api.core.v1.ModifyVolumeStatus pointer,omitempty
        message k8s.io.api.core.v1.PersistentVolumeClaimCondition
        1 type string -
        2 status string -
        3 lastProbeTime k8s.io.apimachinery.pkg.apis.meta.v1.Time omitempty
        4 lastTransitionTime k8s.io.apimachinery.pkg.apis.meta.v1.Time omitempty
        5 reason string omitempty
        6 message string omitempty
        message k8s.io.api.core.v1.ModifyVolumeStatus
        1 targetVolumeAttributesClassName string omitempty
        2 status string -
        message k8s.io.api.apps.v1.StatefulSet
        1 metadata k8s.io.apimachinery.pkg.apis.meta.v1.ObjectMeta omitempty
        2 spec k8s.io.api.apps.v1.StatefulSetSpec omitempty
        3 status k8s.io.api.apps.v1.StatefulSetStatus omitempty
        message k8s.io.api.apps.v1.StatefulSetUpdateStrategy
        1 type string omitempty
        2 rollingUpdate k8s.io.api.apps.v1.RollingUpdateStatefulSetStrategy pointer,omitempty
        message k8s.io.api.apps.v1.RollingUpdateStatefulSetStrategy
        1 partition int32 pointer,omitempty
        2 maxUnavailable k8s.io.apimachinery.pkg.util.intstr.IntOrString pointer,omitempty
        message k8s.io.api.apps.v1.StatefulSetPersistentVolumeClaimRetentionPolicy
        1 whenDeleted string omitempty
        2 whenScaled string omitempty
        message k8s.io.api.apps.v1.StatefulSetOrdinals
        1 start int32 -
        message k8s.io.api.apps.v1.StatefulSetSpec
        1 replicas int32 pointer,omitempty
        2 selector k8s.io.apimachinery.pkg.apis.meta.v1.LabelSelector pointer
        3 template k8s.io.api.core.v1.PodTemplateSpec -
        4 volumeClaimTemplates k8s.io.api.core.v1.PersistentVolumeClaim repeated,omitempty
        5 serviceName string -
        6 podManagementPolicy string omitempty
        7 updateStrategy k8s.io.api.apps.v1.StatefulSetUpdateStrategy omitempty
        8 revisionHistoryLimit int32 pointer,omitempty
        9 minReadySeconds int32 omitempty
        10 persistentVolumeClaimRetentionPolicy k8s.io.api.apps.v1.StatefulSetPersistentVolumeClaimRetentionPolicy pointer,omitempty
        11 ordinals k8s.io.api.apps.v1.StatefulSetOrdinals pointer,omitempty
        message k8s.io.api.apps.v1.StatefulSetStatus
        1 observedGeneration int64 omitempty
        2 replicas int32 -
        3 readyReplicas int32 omitempty
        4 currentReplicas int32 omitempty
        5 updatedReplicas int32 omitempty
        6 currentRevision string omitempty
        7 updateRevision string omitempty
        9 collisionCount int32 pointer,omitempty
        10 conditions k8s.io.api.apps.v1.StatefulSetCondition repeated,omitempty
        11 availableReplicas int32 -
        message k8s.io.api.apps.v1.StatefulSetCondition
        1 type string -
        2 status string -
        3 lastTransitionTime k8s.io.apimachinery.pkg.apis.meta.v1.Time omitempty
        4 reason string omitempty
        5 message string omitempty
        message k8s.io.api.apps.v1.Deployment
        1 metadata k8s.io.apimachinery.pkg.apis.meta.v1.ObjectMeta omitempty
        2 spec k8s.io.api.apps.v1.DeploymentSpec omitempty
        3 status k8s.io.api.apps.v1.DeploymentStatus omitempty
        message k8s.io.api.apps.v1.DeploymentSpec
        1 replicas int32 pointer,omitempty
        2 selector k8s.io.apimachinery.pkg.apis.meta.v1.LabelSelector pointer
        3 template k8s.io.api.core.v1.PodTemplateSpec -
        4 strategy k8s.io.api.apps.v1.DeploymentStrategy omitempty
        5 minReadySeconds int32 omitempty
        6 revisionHistoryLimit int32 pointer,omitempty
        7 paused bool omitempty
        9 progressDeadlineSeconds int32 pointer,omitempty
        10 podReplacementPolicy string pointer,omitempty
        message k8s.io.api.apps.v1.DeploymentStrategy
        1 type string omitempty
        2 rollingUpdate k8s.io.api.apps.v1.RollingUpdateDeployment pointer,omitempty
        message k8s.io.api.apps.v1.RollingUpdateDeployment
        1 maxUnavailable k8s.io.apimachinery.pkg.util.intstr.IntOrString pointer,omitempty
        2 maxSurge k8s.io.apimachinery.pkg.util.intstr.IntOrString pointer,omitempty
        message k8s.io.api.apps.v1.DeploymentStatus
        1 observedGeneration int64 omitempty
        2 replicas int32 omitempty
        3 updatedReplicas int32 omitempty
        4 availableReplicas int32 omitempty
        5 unavailableReplicas int32 omitempty
        6 conditions k8s.io.api.apps.v1.DeploymentCondition repeated,omitempty
        7 readyReplicas int32 omitempty
        8 collisionCount int32 pointer,omitempty
        9 terminatingReplicas int32 pointer,omitempty
        message k8s.io.api.apps.v1.DeploymentCondition
        1 type string -
        2 status string -
        4 reason string omitempty
        5 message string omitempty
        6 lastUpdateTime k8s.io.apimachinery.pkg.apis.meta.v1.Time omitempty
        7 lastTransitionTime k8s.io.apimachinery.pkg.apis.meta.v1.Time omitempty
        message k8s.io.api.apps.v1.DaemonSetUpdateStrategy
        1 type string omitempty
        2 rollingUpdate k8s.io.api.apps.v1.RollingUpdateDaemonSet pointer,omitempty
        message k8s.io.api.apps.v1.RollingUpdateDaemonSet
        1 maxUnavailable k8s.io.apimachinery.pkg.util.intstr.IntOrString pointer,omitempty
        2 maxSurge k8s.io.apimachinery.pkg.util.intstr.IntOrString pointer,omitempty
        message k8s.io.api.apps.v1.DaemonSetSpec
        1 selector k8s.io.apimachinery.pkg.apis.meta.v1.LabelSelector pointer
        2 template k8s.io.api.core.v1.PodTemplateSpec -
        3 updateStrategy k8s.io.api.apps.v1.DaemonSetUpdateStrategy omitempty
        4 minReadySeconds int32 omitempty
        6 revisionHistoryLimit int32 pointer,omitempty
        message k8s.io.api.apps.v1.DaemonSetStatus
        1 currentNumberScheduled int32 -
        2 numberMisscheduled int32 -
        3 desiredNumberScheduled int32 -
        4 numberReady int32 -
        5 observedGeneration int64 omitempty
        6 updatedNumberScheduled int32 omitempty
        7 numberAvailable int32 omitempty
        8 numberUnavailable int32 omitempty
        9 collisionCount int32 pointer,omitempty
        10 conditions k8s.io.api.apps.v1.DaemonSetCondition repeated,omitempty
        message k8s.io.api.apps.v1.DaemonSetCondition
        1 type string -
        2 status string -
        3 lastTransitionTime k8s.io.apimachinery.pkg.apis.meta.v1.Time omitempty
        4 reason string omitempty
        5 message string omitempty
        message k8s.io.api.apps.v1.DaemonSet
        1 metadata k8s.io.apimachinery.pkg.apis.meta.v1.ObjectMeta omitempty
        2 spec k8s.io.api.apps.v1.DaemonSetSpec omitempty
        3 status k8s.io.api.apps.v1.DaemonSetStatus omitempty
        message k8s.io.api.apps.v1.ReplicaSet
        1 metadata k8s.io.apimachinery.pkg.apis.meta.v1.ObjectMeta omitempty
        2 spec k8s.io.api.apps.v1.ReplicaSetSpec omitempty
        3 status k8s.io.api.apps.v1.ReplicaSetStatus omitempty
        message k8s.io.api.apps.v1.ReplicaSetSpec
        1 replicas int32 pointer,omitempty
        2 selector k8s.io.apimachinery.pkg.apis.meta.v1.LabelSelector pointer
        3 template k8s.io.api.core.v1.PodTemplateSpec omitempty
        4 minReadySeconds int32 omitempty
        message k8s.io.api.apps.v1.ReplicaSetStatus
        1 replicas int32 -
        2 fullyLabeledReplicas int32 omitempty
        3 observedGeneration int64 omitempty
        4 readyReplicas int32 omitempty
        5 availableReplicas int32 omitempty
        6 conditions k8s.io.api.apps.v1.ReplicaSetCondition repeated,omitempty
        7 terminatingReplicas int32 pointer,omitempty
        message k8s.io.api.apps.v1.ReplicaSetCondition
        1 type string -
        2 status string -
        3 lastTransitionTime k8s.io.apimachinery.pkg.apis.meta.v1.Time omitempty
        4 reason string omitempty
        5 message string omitempty
        message k8s.io.api.batch.v1.Job
        1 metadata k8s.io.apimachinery.pkg.apis.meta.v1.ObjectMeta omitempty
        2 spec k8s.io.api.batch.v1.JobSpec omitempty
        3 status k8s.io.api.batch.v1.JobStatus omitempty
        message k8s.io.api.batch.v1.JobSpec
        1 parallelism int32 pointer,omitempty
        2 completions int32 pointer,omitempty
        3 activeDeadlineSeconds int64 pointer,omitempty
        4 selector k8s.io.apimachinery.pkg.apis.meta.v1.LabelSelector pointer,omitempty
        5 manualSelector bool pointer,omitempty
        6 template k8s.io.api.core.v1.PodTemplateSpec -
        7 backoffLimit int32 pointer,omitempty
        8 ttlSecondsAfterFinished int32 pointer,omitempty
        9 completionMode string pointer,omitempty
        10 suspend bool pointer,omitempty
        11 podFailurePolicy k8s.io.api.batch.v1.PodFailurePolicy pointer,omitempty
        12 backoffLimitPerIndex int32 pointer,omitempty
        13 maxFailedIndexes int32 pointer,omitempty
        14 podReplacementPolicy string pointer,omitempty
        15 managedBy string pointer,omitempty
        16 successPolicy k8s.io.api.batch.v1.SuccessPolicy pointer,omitempty
        message k8s.io.api.batch.v1.JobStatus
        1 conditions k8s.io.api.batch.v1.JobCondition repeated,omitempty
        2 startTime k8s.io.apimachinery.pkg.apis.meta.v1.Time pointer,omitempty
        3 completionTime k8s.io.apimachinery.pkg.apis.meta.v1.Time pointer,omitempty
        4 active int32 omitempty
        5 succeeded int32 omitempty
        6 failed int32 omitempty
        7 completedIndexes string omitempty
        8 uncountedTerminatedPods k8s.io.api.batch.v1.UncountedTerminatedPods pointer,omitempty
        9 ready int32 pointer,omitempty
        10 failedIndexes string pointer,omitempty
        11 terminating int32 pointer,omitempty
        message k8s.io.api.batch.v1.JobCondition
        1 type string -
        2 status string -
        3 lastProbeTime k8s.io.apimachinery.pkg.apis.meta.v1.Time omitempty
        4 lastTransitionTime k8s.io.apimachinery.pkg.apis.meta.v1.Time omitempty
        5 reason string omitempty
        6 message string omitempty
        message k8s.io.api.batch.v1.UncountedTerminatedPods
        1 succeeded string repeated,omitempty
        2 failed string repeated,omitempty
        message k8s.io.api.batch.v1.JobTemplateSpec
        1 metadata k8s.io.apimachinery.pkg.apis.meta.v1.ObjectMeta omitempty
        2 spec k8s.io.api.batch.v1.JobSpec omitempty
        message k8s.io.api.batch.v1.CronJob
        1 metadata k8s.io.apimachinery.pkg.apis.meta.v1.ObjectMeta omitempty
        2 spec k8s.io.api.batch.v1.CronJobSpec omitempty
        3 status k8s.io.api.batch.v1.CronJobStatus omitempty
        message k8s.io.api.batch.v1.CronJobSpec
        1 schedule string -
        2 startingDeadlineSeconds int64 pointer,omitempty
        3 concurrencyPolicy string omitempty
        4 suspend bool pointer,omitempty
        5 jobTemplate k8s.io.api.batch.v1.JobTemplateSpec -
        6 successfulJobsHistoryLimit int32 pointer,omitempty
        7 failedJobsHistoryLimit int32 pointer,omitempty
        8 timeZone string pointer,omitempty
        message k8s.io.api.batch.v1.CronJobStatus
        1 active k8s.io.api.core.v1.ObjectReference repeated,omitempty
        4 lastScheduleTime k8s.io.apimachinery.pkg.apis.meta.v1.Time pointer,omitempty
        5 lastSuccessfulTime k8s.io.apimachinery.pkg.apis.meta.v1.Time pointer,omitempty
        message k8s.io.api.batch.v1.PodFailurePolicy
        1 rules k8s.io.api.batch.v1.PodFailurePolicyRule repeated
        message k8s.io.api.batch.v1.PodFailurePolicyRule
        1 action string -
        2 onExitCodes k8s.io.api.batch.v1.PodFailurePolicyOnExitCodesRequirement pointer
        3 onPodConditions k8s.io.api.batch.v1.PodFailurePolicyOnPodConditionsPattern repeated
        message k8s.io.api.batch.v1.PodFailurePolicyOnExitCodesRequirement
        1 containerName string pointer
        2 operator string -
        3 values int32 repeated
        message k8s.io.api.batch.v1.PodFailurePolicyOnPodConditionsPattern
        1 type string -
        2 status string -
        message k8s.io.api.batch.v1.SuccessPolicy
        1 rules k8s.io.api.batch.v1.SuccessPolicyRule repeated
        message k8s.io.api.batch.v1.SuccessPolicyRule
        1 succeededIndexes string pointer,omitempty
        2 succeededCount int32 pointer,omitempty
        message k8s.io.api.rbac.v1.PolicyRule
        1 verbs string repeated
        2 apiGroups string repeated,omitempty
        3 resources string repeated,omitempty
        4 resourceNames string repeated,omitempty
        5 nonResourceURLs string repeated,omitempty
        message k8s.io.api.rbac.v1.Subject
        1 kind string -
        2 apiGroup string omitempty
        3 name string -
        4 namespace string omitempty
        message k8s.io.api.rbac.v1.RoleRef
        1 apiGroup string -
        2 kind string -
        3 name string -
        message k8s.io.api.rbac.v1.Role
        1 metadata k8s.io.apimachinery.pkg.apis.meta.v1.ObjectMeta omitempty
        2 rules k8s.io.api.rbac.v1.PolicyRule repeated
        message k8s.io.api.rbac.v1.RoleBinding
        1 metadata k8s.io.apimachinery.pkg.apis.meta.v1.ObjectMeta omitempty
        2 subjects k8s.io.api.rbac.v1.Subject repeated,omitempty
        3 roleRef k8s.io.api.rbac.v1.RoleRef -
        message k8s.io.api.rbac.v1.ClusterRole
        1 metadata k8s.io.apimachinery.pkg.apis.meta.v1.ObjectMeta omitempty
        2 rules k8s.io.api.rbac.v1.PolicyRule repeated
        3 aggregationRule k8s.io.api.rbac.v1.AggregationRule pointer,omitempty
        message k8s.io.api.rbac.v1.AggregationRule
        1 clusterRoleSelectors k8s.io.apimachinery.pkg.apis.meta.v1.LabelSelector repeated,omitempty
        message k8s.io.api.rbac.v1.ClusterRoleBinding
        1 metadata k8s.io.apimachinery.pkg.apis.meta.v1.ObjectMeta omitempty
        2 subjects k8s.io.api.rbac.v1.Subject repeated,omitempty
        3 roleRef k8s.io.api.rbac.v1.RoleRef -
        message k8s.io.api.networking.v1.Ingress
        1 metadata k8s.io.apimachinery.pkg.apis.meta.v1.ObjectMeta omitempty
        2 spec k8s.io.api.networking.v1.IngressSpec omitempty
        3 status k8s.io.api.networking.v1.IngressStatus omitempty
        message k8s.io.api.networking.v1.IngressSpec
        1 defaultBackend k8s.io.api.networking.v1.IngressBackend pointer,omitempty
        2 tls k8s.io.api.networking.v1.IngressTLS repeated,omitempty
        3 rules k8s.io.api.networking.v1.IngressRule repeated,omitempty
        4 ingressClassName string pointer,omitempty
        message k8s.io.api.networking.v1.IngressTLS
        1 hosts string repeated,omitempty
        2 secretName string omitempty
        message k8s.io.api.networking.v1.IngressStatus
        1 loadBalancer k8s.io.api.networking.v1.IngressLoadBalancerStatus omitempty
        message k8s.io.api.networking.v1.IngressLoadBalancerStatus
        1 ingress k8s.io.api.networking.v1.IngressLoadBalancerIngress repeated,omitempty
        message k8s.io.api.networking.v1.IngressLoadBalancerIngress
        1 ip string omitempty
        2 hostname string omitempty
        4 ports k8s.io.api.networking.v1.IngressPortStatus repeated,omitempty
        message k8s.io.api.networking.v1.IngressPortStatus
        1 port int32 -
        2 protocol string -
        3 error string pointer,omitempty
        message k8s.io.api.networking.v1.IngressRule
        1 host string omitempty
        2 ingressRuleValue k8s.io.api.networking.v1.IngressRuleValue inline
        message k8s.io.api.networking.v1.IngressRuleValue
        1 http k8s.io.api.networking.v1.HTTPIngressRuleValue pointer,omitempty
        message k8s.io.api.networking.v1.HTTPIngressRuleValue
        1 paths k8s.io.api.networking.v1.HTTPIngressPath repeated
        message k8s.io.api.networking.v1.HTTPIngressPath
        1 path string omitempty
        2 backend k8s.io.api.networking.v1.IngressBackend -
        3 pathType string pointer
        message k8s.io.api.networking.v1.IngressBackend
        3 resource k8s.io.api.core.v1.TypedLocalObjectReference pointer,omitempty
        4 service k8s.io.api.networking.v1.IngressServiceBackend pointer,omitempty
        message k8s.io.api.networking.v1.IngressServiceBackend
        1 name string -
        2 port k8s.io.api.networking.v1.ServiceBackendPort omitempty
        message k8s.io.api.networking.v1.ServiceBackendPort
        1 name string omitempty
        2 number int32 omitempty
        message k8s.io.api.coordination.v1.Lease
        1 metadata k8s.io.apimachinery.pkg.apis.meta.v1.ObjectMeta omitempty
        2 spec k8s.io.api.coordination.v1.LeaseSpec omitempty
        message k8s.io.api.coordination.v1.LeaseSpec
        1 holderIdentity string pointer,omitempty
        2 leaseDurationSeconds int32 pointer,omitempty
        3 acquireTime k8s.io.apimachinery.pkg.apis.meta.v1.MicroTime pointer,omitempty
        4 renewTime k8s.io.apimachinery.pkg.apis.meta.v1.MicroTime pointer,omitempty
        5 leaseTransitions int32 pointer,omitempty
        6 strategy string pointer,omitempty
        7 preferredHolder string pointer,omitempty
        message k8s.io.api.discovery.v1.EndpointSlice
        1 metadata k8s.io.apimachinery.pkg.apis.meta.v1.ObjectMeta omitempty
        2 endpoints k8s.io.api.discovery.v1.Endpoint repeated
        3 ports k8s.io.api.discovery.v1.EndpointPort repeated
        4 addressType string -
        message k8s.io.api.discovery.v1.Endpoint
        1 addresses string repeated
        2 conditions k8s.io.api.discovery.v1.EndpointConditions omitempty
        3 hostname string pointer,omitempty
        4 targetRef k8s.io.api.core.v1.ObjectReference pointer,omitempty
        5 deprecatedTopology map:string:string omitempty
        6 nodeName string pointer,omitempty
        7 zone string pointer,omitempty
        8 hints k8s.io.api.discovery.v1.EndpointHints pointer,omitempty
        message k8s.io.api.discovery.v1.EndpointConditions
        1 ready bool pointer,omitempty
        2 serving bool pointer,omitempty
        3 terminating bool pointer,omitempty
        message k8s.io.api.discovery.v1.EndpointHints
        1 forZones k8s.io.api.discovery.v1.ForZone repeated,omitempty
        2 forNodes k8s.io.api.discovery.v1.ForNode repeated,omitempty
        message k8s.io.api.discovery.v1.ForZone
        1 name string -
        message k8s.io.api.discovery.v1.ForNode
        1 name string -
        message k8s.io.api.discovery.v1.EndpointPort
        1 name string pointer,omitempty
        2 protocol string pointer,omitempty
        3 port int32 pointer,omitempty
        4 appProtocol string pointer,omitempty
        message k8s.io.api.authentication.v1.TokenRequest
        1 metadata k8s.io.apimachinery.pkg.apis.meta.v1.ObjectMeta omitempty
        2 spec k8s.io.api.authentication.v1.TokenRequestSpec -
        3 status k8s.io.api.authentication.v1.TokenRequestStatus omitempty
        message k8s.io.api.authentication.v1.TokenRequestSpec
        1 audiences string repeated
        3 boundObjectRef k8s.io.api.authentication.v1.BoundObjectReference pointer
        4 expirationSeconds int64 pointer
        message k8s.io.api.authentication.v1.TokenRequestStatus
        1 token string -
        2 expirationTimestamp k8s.io.apimachinery.pkg.apis.meta.v1.Time -
        message k8s.io.api.authentication.v1.BoundObjectReference
        1 kind string omitempty
        2 apiVersion string omitempty
        3 name string omitempty
        4 uid string omitempty
        message k8s.io.api.autoscaling.v1.Scale
        1 metadata k8s.io.apimachinery.pkg.apis.meta.v1.ObjectMeta omitempty
        2 spec k8s.io.api.autoscaling.v1.ScaleSpec omitempty
        3 status k8s.io.api.autoscaling.v1.ScaleStatus omitempty
        message k8s.io.api.autoscaling.v1.ScaleSpec
        1 replicas int32 omitempty
        message k8s.io.api.autoscaling.v1.ScaleStatus
        1 replicas int32 -
        2 selector string omitempty
        message k8s.io.api.policy.v1.Eviction
        1 metadata k8s.io.apimachinery.pkg.apis.meta.v1.ObjectMeta omitempty
        2 deleteOptions k8s.io.apimachinery.pkg.apis.meta.v1.DeleteOptions pointer,omitempty
        message k8s.io.api.policy.v1.PodDisruptionBudget
        1 metadata k8s.io.apimachinery.pkg.apis.meta.v1.ObjectMeta omitempty
        2 spec k8s.io.api.policy.v1.PodDisruptionBudgetSpec omitempty
        3 status k8s.io.api.policy.v1.PodDisruptionBudgetStatus omitempty
        message k8s.io.api.policy.v1.PodDisruptionBudgetSpec
        1 minAvailable k8s.io.apimachinery.pkg.util.intstr.IntOrString pointer,omitempty
        2 selector k8s.io.apimachinery.pkg.apis.meta.v1.LabelSelector pointer,omitempty
        3 maxUnavailable k8s.io.apimachinery.pkg.util.intstr.IntOrString pointer,omitempty
        4 unhealthyPodEvictionPolicy string pointer,omitempty
        message k8s.io.api.policy.v1.PodDisruptionBudgetStatus
        1 observedGeneration int64 omitempty
        2 disruptedPods map:string:k8s.io.apimachinery.pkg.apis.meta.v1.Time omitempty
        3 disruptionsAllowed int32 -
        4 currentHealthy int32 -
        5 desiredHealthy int32 -
        6 expectedPods int32 -
        7 conditions k8s.io.apimachinery.pkg.apis.meta.v1.Condition repeated,omitempty
        """
}
